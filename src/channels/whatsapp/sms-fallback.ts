/**
 * Extension point: time-critical replies by SMS while the WhatsApp session is down.
 *
 * How to plug in the SMS channel (when it exists): implement `SmsFallback` with the SMS adapter and pass it to
 * `createWhatsappChannel({ smsFallback })` in `channels/registry.ts`. The WhatsApp adapter calls it only when
 * the session has been down longer than WHATSAPP_SMS_FALLBACK_AFTER_MS, the contact has a number WhatsApp
 * proved (`verifiedMobile`), and `accepts` says the reply is time-critical. Everything else keeps waiting in the
 * queue for the session to come back.
 */
import type { DeliveryReceipt, OutboundEnvelope } from '../channel-adapter';

export interface SmsFallback {
  /**
   * Whether this reply may go by SMS: status changes yes, surveys never (policy: surveys only on the channel
   * the beneficiary consented to). `template` is the reply's template key.
   */
  accepts(reply: { template: string | undefined; author: 'bot' | 'staff' | 'system' | 'beneficiary' }): boolean;
  /** Sends the reply by SMS; the receipt's id is stored on the WhatsApp message row, so prefix it (`sms-…`). */
  send(to: { mobile: string }, message: OutboundEnvelope): Promise<DeliveryReceipt>;
}
