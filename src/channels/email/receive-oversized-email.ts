/**
 * A mail over EMAIL_MAX_MESSAGE_BYTES is never downloaded: one 500 MB mail, or a mailbox flooded with big ones,
 * would otherwise sit whole in memory and stall the poller. The poller hands over only the mail's first bytes,
 * enough for its header; the same senders as in `receiveEmail` are ignored (automatic mail, our own), and a
 * person gets a templated answer asking them to send it again in smaller mails. Staff see the mail in the
 * conversation, without a body, with the reason in its `error` (shown under the message in the console).
 *
 * Like an SMS opt-out keyword (channels/sms/subscription.ts), the mail is stored already processed and answered
 * through the outbox without the engine: an empty message would count as a wrong answer to the question on
 * screen, and the engine could not tell the sender why we read nothing.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { parseConversationState } from '../../engine/conversation-state';
import { writeOutbound } from '../../conversations/write-outbound';
import { MAX_DOCUMENT_BYTES } from '../../documents/document-store';
import { findStoredInbound } from '../../pipeline/ingest';
import { storeProcessedInbound } from '../../pipeline/store-processed-inbound';
import type { Queues } from '../../queue/queues';
import type { Db } from '../../store/database';
import { beneficiaries, contacts } from '../../store/schema';
import type { ReplyRenderer } from '../../templating/render-reply';
import type { Language } from '../../templating/template-catalog';
import type { EmailConfig } from './email-config';
import { attachConversation, recordInboundMail } from './email-threads-repo';
import { isOwnMessageId } from './message-ids';
import { parseInboundEmail } from './parse-inbound-email';
import type { MailboxLocation, ReceiveOutcome } from './receive-email';

/**
 * How much of an oversized mail is fetched to read its header. Outlook and Gmail headers (DKIM, ARC, Received
 * chains) run to a few tens of kB; a header longer than this is no person's mail.
 */
export const OVERSIZED_HEAD_BYTES = 64 * 1024;

export const TOO_LARGE_TEMPLATE = 'email.too-large';

export interface OversizedEmailDeps {
  db: Db;
  log: Logger;
  config: EmailConfig;
  renderer: ReplyRenderer;
  queues: Pick<Queues, 'enqueueSend'>;
  /** The answer's language for a sender with no conversation yet. */
  defaultLanguage: Language;
  /** EMAIL_MAX_MESSAGE_BYTES, quoted in the answer. */
  maxMessageBytes: number;
}

export interface OversizedMailLocation extends MailboxLocation {
  /** RFC822.SIZE as the server reported it. */
  sizeBytes: number;
}

/** The header section at the start of `prefix` (through its blank line), or null when it runs past `prefix`. */
export function headerSection(prefix: Buffer): Buffer | null {
  const ends = [prefix.indexOf('\r\n\r\n'), prefix.indexOf('\n\n')].map((at, i) => (at < 0 ? Infinity : at + (i === 0 ? 4 : 2)));
  const end = Math.min(...ends);
  return end === Infinity ? null : prefix.subarray(0, end);
}

const megabytes = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;

/** `prefix`: the mail's first bytes (at most OVERSIZED_HEAD_BYTES), never the whole mail. */
export async function receiveOversizedEmail(deps: OversizedEmailDeps, prefix: Buffer, at: OversizedMailLocation): Promise<ReceiveOutcome> {
  const head = headerSection(prefix);
  if (!head) return { kind: 'ignored', reason: `oversized mail whose header runs past ${OVERSIZED_HEAD_BYTES} bytes` };
  // A header alone is a mail without a body: the sender, ids and automatic-mail signals are all in it.
  let mail: Awaited<ReturnType<typeof parseInboundEmail>>;
  try {
    mail = await parseInboundEmail(head);
  } catch (err) {
    // As in `receiveEmail`: a header mailparser refuses would fail the same way at every poll.
    return { kind: 'ignored', reason: `oversized mail with an unreadable header (${err instanceof Error ? err.message : String(err)})` };
  }
  // The same senders `receiveEmail` never answers: answering a big bounce would start a mail loop.
  if (mail.automatic) return { kind: 'ignored', reason: `oversized automatic mail (${mail.automatic})` };
  if (!mail.fromAddress) return { kind: 'ignored', reason: 'oversized mail with no sender address' };
  if (mail.fromAddress === deps.config.from.address.toLowerCase()) return { kind: 'ignored', reason: 'oversized mail sent by our own address' };
  if (mail.messageId && isOwnMessageId(mail.messageId, deps.config.messageIdDomain)) return { kind: 'ignored', reason: 'oversized mail of our own' };
  if (mail.fromAddress.length > 300) return { kind: 'ignored', reason: 'oversized mail with a sender address longer than 300 characters' };

  const address = mail.fromAddress;
  const providerMessageId = mail.messageId && mail.messageId.length <= 500 ? mail.messageId : `imap-${at.uidValidity}-${at.uid}`;
  const note = `mail of ${megabytes(at.sizeBytes)} MB over the ${megabytes(deps.maxMessageBytes)} MB limit (EMAIL_MAX_MESSAGE_BYTES): not downloaded; the sender was asked to send it again in smaller mails`;
  const stored = await deps.db.transaction(async (tx) => {
    const existing = await findStoredInbound(tx, 'email', providerMessageId);
    if (existing) return { messageId: existing.id, conversationId: existing.conversationId, duplicate: true, reply: undefined };

    let [contact] = await tx.select().from(contacts).where(and(eq(contacts.channel, 'email'), eq(contacts.channelUserId, address))).limit(1);
    if (!contact) {
      const [person] = await tx.insert(beneficiaries).values({}).returning({ id: beneficiaries.id });
      [contact] = await tx
        .insert(contacts)
        .values({ beneficiaryId: person!.id, channel: 'email', channelUserId: address, ...(mail.fromName ? { displayName: mail.fromName } : {}) })
        .returning();
    } else {
      // Writing again is asking to be answered, as in `ingest` (pipeline/opt-out-policy.ts).
      await tx.update(contacts).set({ lastSeenAt: sql`now()`, optedOut: false }).where(eq(contacts.id, contact.id));
    }
    const inbound = await storeProcessedInbound(tx, { contactId: contact!.id, channel: 'email', providerMessageId, text: '', error: note });
    const conversationId = inbound.conversationId;
    // Threads the answer onto their mail (email-sender.ts reads the latest inbound mail's record).
    await recordInboundMail(tx, { messageId: providerMessageId, subject: mail.subject, references: mail.references });
    await attachConversation(tx, providerMessageId, conversationId);
    const language = parseConversationState(inbound.conversationState).language ?? deps.defaultLanguage;
    const text = deps.renderer.text(TOO_LARGE_TEMPLATE, language, 'email', {
      maxMegabytes: megabytes(deps.maxMessageBytes),
      fileMegabytes: megabytes(MAX_DOCUMENT_BYTES),
    });
    const reply = await writeOutbound(tx, { conversationId, channel: 'email', author: 'system', staffId: null, text, language, template: TOO_LARGE_TEMPLATE });
    return { messageId: inbound.messageId, conversationId, duplicate: false, reply };
  });
  // After commit, as every outbox write: a failed enqueue is found again by the sweeper's stranded-reply pass.
  if (stored.reply) {
    try {
      await deps.queues.enqueueSend(stored.reply);
    } catch (err) {
      deps.log.warn({ err, conversationId: stored.conversationId, messageId: stored.reply.id }, 'too-large answer stored but not enqueued; the sweeper will send it');
    }
  }
  return { kind: 'stored', result: { messageId: stored.messageId, conversationId: stored.conversationId, duplicate: stored.duplicate } };
}
