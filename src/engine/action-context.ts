/**
 * What an action may use while the drain holds the conversation's lock: the transaction (so its writes
 * commit or roll back with the turn), who it is talking to, and the organisation's services.
 */
import type { BusinessCalendar } from '../calendar/business-calendar';
import type { Organisation } from '../config/organisation-schema';
import type { Sealer } from '../identity/sealed-value';
import type { ChannelName } from '../messages/channel-name';
import type { Tx } from '../store/database';
import type { ReplyRenderer } from '../templating/render-reply';
import type { ActionCall, ActionResult } from './run-turn';

export interface ActionContext {
  tx: Tx;
  conversationId: number;
  contactId: number;
  beneficiaryId: number;
  channel: ChannelName;
  /** The inbound message being answered. */
  messageId: number;
  now: Date;
  organisation: Organisation;
  calendar: BusinessCalendar;
  renderer: ReplyRenderer;
  sealer: Sealer;
}

export type ActionHandler = (ctx: ActionContext, call: ActionCall) => Promise<ActionResult>;
