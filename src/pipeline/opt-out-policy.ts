/**
 * Opt-out, enforced once for every channel in the send path (pipeline/send-outbound.ts): a contact marked
 * `opted_out` (an SMS "إيقاف"/"STOP", a Telegram user who blocked the bot) is sent nothing — no bot reply,
 * researcher message, status notice or survey — except the confirmation of the opt-out itself. A refused send is
 * kept on the message as `skipped` with the reason, so staff see why it never arrived.
 *
 * A beneficiary who writes again after opting out: on SMS (carrier rules, CITC's A2P code) only the re-subscribe
 * keyword "اشتراك"/"START" lifts it, and other messages are kept for staff without an answer
 * (channels/sms/subscription.ts never hands them to `ingest`). On channels where the person must open the app,
 * widget or mail client to write (Telegram, WhatsApp, website chat, email), a new message is itself the request
 * to be answered, so `ingest` lifts the opt-out for that contact, as Telegram does when a user unblocks the bot.
 */

/** Templates sent even to a contact who opted out: the confirmation that they will hear nothing more. */
export const sentDespiteOptOut: ReadonlySet<string> = new Set(['sms.opted-out']);

export const OPTED_OUT_REASON = 'not sent: the beneficiary opted out of messages on this channel';

export function mayReachOptedOut(template: string | undefined): boolean {
  return template !== undefined && sentDespiteOptOut.has(template);
}
