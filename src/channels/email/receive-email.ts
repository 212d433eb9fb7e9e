/**
 * What happens to one mail fetched from the mailbox: parse it, drop what no person wrote (and our own mail),
 * keep its attachments as documents, remember its Message-ID for threading, then `ingest`. Returns how it
 * ended; throws when it could not be stored, so the poller leaves it unseen and tries again.
 */
import type { Logger } from 'pino';
import type { DocumentStore } from '../../documents/document-store';
import type { InboundMedia, InboundMessageInput } from '../../messages/inbound-message';
import type { IngestResult } from '../../pipeline/ingest';
import type { Db } from '../../store/database';
import type { EmailConfig } from './email-config';
import { attachConversation, findThreadConversation, recordInboundMail } from './email-threads-repo';
import { isOwnMessageId } from './message-ids';
import { parseInboundEmail } from './parse-inbound-email';

export interface ReceiveEmailDeps {
  db: Db;
  log: Logger;
  documents: DocumentStore;
  config: EmailConfig;
  ingest(message: InboundMessageInput): Promise<IngestResult>;
}

export type ReceiveOutcome =
  | { kind: 'stored'; result: IngestResult }
  | { kind: 'ignored'; reason: string };

/** Where the mail sits in the mailbox; the fallback provider id when it has no Message-ID. */
export interface MailboxLocation {
  uidValidity: number;
  uid: number;
}

export async function receiveEmail(deps: ReceiveEmailDeps, raw: Buffer, at: MailboxLocation): Promise<ReceiveOutcome> {
  let mail: Awaited<ReturnType<typeof parseInboundEmail>>;
  try {
    mail = await parseInboundEmail(raw);
  } catch (err) {
    // mailparser refuses some structures outright (past 1,000 MIME parts, e.g. a multipart nested 1,000 deep).
    // The same bytes fail the same way at every poll, so a throw here would hold every mail behind this one.
    return { kind: 'ignored', reason: `unreadable MIME (${err instanceof Error ? err.message : String(err)})` };
  }
  if (mail.automatic) return { kind: 'ignored', reason: `automatic mail (${mail.automatic})` };
  if (!mail.fromAddress) return { kind: 'ignored', reason: 'no sender address' };
  if (mail.fromAddress === deps.config.from.address.toLowerCase()) return { kind: 'ignored', reason: 'sent by our own address' };
  if (mail.messageId && isOwnMessageId(mail.messageId, deps.config.messageIdDomain)) return { kind: 'ignored', reason: 'our own message' };

  if (mail.fromAddress.length > 300) return { kind: 'ignored', reason: 'sender address longer than 300 characters' };
  // A Message-ID is the sender's to choose; one too long to store falls back to the mailbox position.
  const providerMessageId = mail.messageId && mail.messageId.length <= 500 ? mail.messageId : `imap-${at.uidValidity}-${at.uid}`;
  const media: InboundMedia[] = [];
  for (const a of mail.attachments) {
    const storageKey = await deps.documents.save(a.content);
    media.push({ storageKey, mimeType: a.mimeType, fileName: a.fileName, sizeBytes: a.content.length });
  }
  if (mail.skippedAttachments.length) {
    deps.log.info({ providerMessageId, skipped: mail.skippedAttachments.map(({ mimeType, sizeBytes, reason }) => ({ mimeType, sizeBytes, reason })) }, 'email attachments not kept');
  }
  if (mail.truncated) deps.log.info({ providerMessageId }, 'email text cut to the inbound limit');

  await recordInboundMail(deps.db, { messageId: providerMessageId, subject: mail.subject, references: mail.references });
  // The conversation of the mail of ours it answers; `ingest` follows it only into this sender's own conversations.
  const threaded = await findThreadConversation(deps.db, { references: mail.references, inReplyTo: mail.inReplyTo });
  const result = await deps.ingest({
    channel: 'email',
    channelUserId: mail.fromAddress,
    providerMessageId,
    text: mail.text,
    media,
    ...(mail.fromName ? { displayName: mail.fromName } : {}),
    ...(threaded !== null ? { conversationHint: threaded } : {}),
  });
  await attachConversation(deps.db, providerMessageId, result.conversationId);
  // A reply threaded onto a conversation `ingest` did not follow (a forwarded mail, a family member answering
  // from their own address, or the sender already in a newer conversation) stays with the sender's own contact.
  if (threaded !== null && threaded !== result.conversationId) {
    deps.log.info({ providerMessageId, threaded, conversationId: result.conversationId }, 'email reply threads onto another conversation');
  }
  return { kind: 'stored', result };
}
