/**
 * Opt-out, as Saudi A2P rules and common decency require: "إيقاف" / "STOP" stops every SMS to the number,
 * recorded on the contact (`contacts.opted_out`) with one confirmation; afterwards nothing is sent except the
 * answer to an explicit re-subscribe ("اشتراك" / "START"). While opted out, messages are kept for staff but
 * never reach the engine, so the bot cannot answer them. The shared send path (pipeline/opt-out-policy.ts) skips
 * any reply queued for the number meanwhile, except the opt-out confirmation.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { findBeneficiaryByMobile } from '../../beneficiaries/link-by-mobile';
import { normalizeForMatch } from '../../engine/commands';
import type { QueuedReply, Queues } from '../../queue/queues';
import { findStoredInbound } from '../../pipeline/ingest';
import { storeProcessedInbound } from '../../pipeline/store-processed-inbound';
import type { Db, Tx } from '../../store/database';
import { beneficiaries, contacts, messages } from '../../store/schema';
import type { ReplyRenderer } from '../../templating/render-reply';

export type SubscriptionKeyword = { kind: 'stop' | 'start'; language: 'ar' | 'en' };

const KEYWORDS: Record<SubscriptionKeyword['kind'], Record<'ar' | 'en', string[]>> = {
  // "إلغاء" is left out on purpose: it is the cancel command of every flow.
  stop: { ar: ['إيقاف', 'ايقاف', 'أوقف', 'توقف', 'الغاء الاشتراك', 'إلغاء الاشتراك'], en: ['stop', 'unsubscribe', 'stopall', 'optout', 'opt out'] },
  start: { ar: ['اشتراك', 'اشترك', 'تفعيل'], en: ['start', 'subscribe', 'unstop'] },
};

const index = new Map<string, SubscriptionKeyword>();
for (const kind of ['stop', 'start'] as const) {
  for (const language of ['ar', 'en'] as const) for (const w of KEYWORDS[kind][language]) index.set(normalizeForMatch(w), { kind, language });
}

/** The keyword the whole message is (spelling, case and punctuation folded), if any. */
export function subscriptionKeyword(text: string): SubscriptionKeyword | null {
  return index.get(normalizeForMatch(text)) ?? null;
}

export interface SubscriptionDeps {
  db: Db;
  queues: Pick<Queues, 'enqueueSend'>;
  renderer: ReplyRenderer;
  log: Logger;
}

export interface SmsInbound {
  /** E.164, proven by the operator. */
  mobile: string;
  providerMessageId: string;
  text: string;
}

export type SubscriptionOutcome = 'ingest' | 'opted-out' | 'opted-in' | 'kept-while-opted-out' | 'duplicate';

/**
 * Handles the message when it is a keyword or its sender has opted out; otherwise says `ingest` and the
 * message takes the normal path.
 */
export async function handleSubscription(deps: SubscriptionDeps, m: SmsInbound): Promise<SubscriptionOutcome> {
  const keyword = subscriptionKeyword(m.text);
  const result = await deps.db.transaction(async (tx): Promise<{ outcome: SubscriptionOutcome; send?: QueuedReply | undefined }> => {
    const [contact] = await tx
      .select()
      .from(contacts)
      .where(and(eq(contacts.channel, 'sms'), eq(contacts.channelUserId, m.mobile)))
      .for('update');
    const optedOut = contact?.optedOut ?? false;
    if (!keyword && !optedOut) return { outcome: 'ingest' };
    if (keyword?.kind === 'start' && !optedOut) return { outcome: 'ingest' };
    if (await findStoredInbound(tx, 'sms', m.providerMessageId)) return { outcome: 'duplicate' };

    const contactId = contact?.id ?? (await createContact(tx, m.mobile));
    if (keyword?.kind === 'stop' && !optedOut) {
      await tx.update(contacts).set({ optedOut: true, lastSeenAt: sql`now()` }).where(eq(contacts.id, contactId));
      const send = await storeWithoutEngine(tx, deps.renderer, contactId, m, { template: 'sms.opted-out', language: keyword.language });
      return { outcome: 'opted-out', send };
    }
    if (keyword?.kind === 'start') {
      await tx.update(contacts).set({ optedOut: false, lastSeenAt: sql`now()` }).where(eq(contacts.id, contactId));
      const send = await storeWithoutEngine(tx, deps.renderer, contactId, m, { template: 'sms.opted-in', language: keyword.language });
      return { outcome: 'opted-in', send };
    }
    // Opted out already: keep the message for staff, confirm nothing a second time.
    await storeWithoutEngine(tx, deps.renderer, contactId, m, null);
    return { outcome: 'kept-while-opted-out' };
  });
  if (result.send) await deps.queues.enqueueSend(result.send);
  if (result.outcome !== 'ingest') deps.log.info({ outcome: result.outcome }, 'sms subscription keyword or opted-out sender');
  return result.outcome;
}

/** A first-ever "STOP" must still be recorded, so the number gets a contact like any new sender would. */
async function createContact(tx: Tx, mobile: string): Promise<number> {
  const known = await findBeneficiaryByMobile(tx, mobile);
  const beneficiaryId = known ?? (await tx.insert(beneficiaries).values({}).returning({ id: beneficiaries.id }))[0]!.id;
  const [row] = await tx
    .insert(contacts)
    .values({ beneficiaryId, channel: 'sms', channelUserId: mobile, verifiedMobile: mobile })
    .returning({ id: contacts.id });
  return row!.id;
}

/** Stores the inbound message as already processed and, when given, a reply as `queued`; returns the reply's id. */
async function storeWithoutEngine(
  tx: Tx,
  renderer: ReplyRenderer,
  contactId: number,
  m: SmsInbound,
  reply: { template: string; language: 'ar' | 'en' } | null,
): Promise<QueuedReply | undefined> {
  const { conversationId } = await storeProcessedInbound(tx, { contactId, channel: 'sms', providerMessageId: m.providerMessageId, text: m.text });
  if (!reply) return undefined;
  const text = renderer.text(reply.template, reply.language, 'sms');
  const [out] = await tx
    .insert(messages)
    .values({
      conversationId,
      direction: 'out',
      channel: 'sms',
      author: 'system',
      text,
      payload: { template: reply.template, choices: [], language: reply.language },
      status: 'queued',
    })
    .returning({ id: messages.id });
  return { id: out!.id, channel: 'sms', conversationId };
}
