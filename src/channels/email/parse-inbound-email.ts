/**
 * One raw RFC 5322 message → what the email channel needs: sender, threading ids, the new text only, the
 * attachments a request may keep, and whether a person wrote it at all. Pure (no I/O), so it is tested on the
 * MIME samples in test/fixtures/email. mailparser decodes every charset iconv-lite knows (UTF-8, windows-1256,
 * ISO-8859-6 …), base64 and quoted-printable, and turns HTML-only mail into text (scripts and styles dropped).
 */
import { simpleParser, type AddressObject } from 'mailparser';
import { z } from 'zod';
import { acceptedDocumentTypes, MAX_DOCUMENT_BYTES } from '../../documents/document-store';
import { detectAutomaticMail, type AutomaticMailReason } from './detect-automatic-mail';
import { messageIdList } from './message-ids';
import { cutText, toStorableText } from '../../text/storable-text';
import { stripQuotedReply } from './strip-quoted-reply';

/** The longest text one inbound message may carry to the engine (the same limit on every channel). */
export const MAX_INBOUND_TEXT = 10_000;
/** `InboundMessage.media` holds at most this many files. */
export const MAX_ATTACHMENTS = 10;

export const keptAttachmentSchema = z.object({
  fileName: z.string().max(300).optional(),
  mimeType: z.enum(acceptedDocumentTypes),
  content: z.instanceof(Buffer),
});
export type KeptAttachment = z.infer<typeof keptAttachmentSchema>;

export const skippedAttachmentSchema = z.object({
  fileName: z.string().optional(),
  mimeType: z.string(),
  sizeBytes: z.number().int(),
  reason: z.enum(['type', 'too-large', 'inline', 'too-many']),
});
export type SkippedAttachment = z.infer<typeof skippedAttachmentSchema>;

export const parsedEmailSchema = z.object({
  /** The Message-ID header, with its angle brackets; absent on some broken senders. */
  messageId: z.string().optional(),
  /** Lower-cased: contacts are keyed by it, and case in the local part is not significant in practice. */
  fromAddress: z.string().optional(),
  fromName: z.string().optional(),
  subject: z.string(),
  inReplyTo: z.array(z.string()),
  references: z.array(z.string()),
  /** The new text, history and signature stripped, at most MAX_INBOUND_TEXT characters. */
  text: z.string().max(MAX_INBOUND_TEXT),
  truncated: z.boolean(),
  attachments: z.array(keptAttachmentSchema),
  skippedAttachments: z.array(skippedAttachmentSchema),
  automatic: z.custom<AutomaticMailReason>().nullable(),
  date: z.date().optional(),
});
export type ParsedEmail = z.infer<typeof parsedEmailSchema>;

const MIME_BY_EXTENSION: Record<string, (typeof acceptedDocumentTypes)[number]> = {
  pdf: 'application/pdf',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

/** The document type of an attachment; clients often send PDFs as application/octet-stream. */
function documentType(contentType: string, fileName: string | undefined, content: Buffer): (typeof acceptedDocumentTypes)[number] | null {
  const declared = contentType.toLowerCase() === 'image/jpg' ? 'image/jpeg' : contentType.toLowerCase();
  if ((acceptedDocumentTypes as readonly string[]).includes(declared)) return declared as (typeof acceptedDocumentTypes)[number];
  if (declared !== 'application/octet-stream') return null;
  const byName = MIME_BY_EXTENSION[fileName?.split('.').pop()?.toLowerCase() ?? ''];
  if (byName === 'application/pdf' && content.subarray(0, 5).toString('latin1') === '%PDF-') return byName;
  if (byName === 'image/jpeg' && content[0] === 0xff && content[1] === 0xd8) return byName;
  if (byName === 'image/png' && content.subarray(1, 4).toString('latin1') === 'PNG') return byName;
  return null;
}

const firstAddress = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a[0] : a)?.value[0];

/**
 * Every header and body string is the sender's to choose, and some are stored or queried before `ingest`
 * (the threading table): an `In-Reply-To: <\u0000@x>` failed that query, so the poller left the mail unseen
 * and failed on it again at every poll. They are made storable here, where the mail is parsed.
 */
const storableIds = (ids: string | string[] | undefined) => messageIdList(ids).map(toStorableText);

export async function parseInboundEmail(raw: Buffer | string): Promise<ParsedEmail> {
  const mail = await simpleParser(raw, { skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  const sender = firstAddress(mail.from);
  const fromAddress = sender?.address ? toStorableText(sender.address.trim().toLowerCase()) : undefined;
  const stripped = stripQuotedReply(toStorableText(mail.text ?? ''));
  const truncated = stripped.length > MAX_INBOUND_TEXT;

  const attachments: KeptAttachment[] = [];
  const skippedAttachments: SkippedAttachment[] = [];
  for (const a of mail.attachments) {
    const info = { fileName: a.filename, mimeType: a.contentType, sizeBytes: a.size ?? a.content.length };
    // Pictures inside the HTML (an Outlook signature logo) are part of the layout, not documents.
    if (a.related) skippedAttachments.push({ ...info, reason: 'inline' });
    else if (info.sizeBytes > MAX_DOCUMENT_BYTES) skippedAttachments.push({ ...info, reason: 'too-large' });
    else {
      const type = documentType(a.contentType, a.filename, a.content);
      if (!type) skippedAttachments.push({ ...info, reason: 'type' });
      else if (attachments.length >= MAX_ATTACHMENTS) skippedAttachments.push({ ...info, reason: 'too-many' });
      else attachments.push({ fileName: a.filename === undefined ? undefined : cutText(toStorableText(a.filename), 300), mimeType: type, content: a.content });
    }
  }

  return {
    messageId: storableIds(mail.messageId)[0],
    fromAddress,
    fromName: sender?.name?.trim() ? cutText(toStorableText(sender.name.trim()), 200) : undefined,
    subject: toStorableText(mail.subject ?? '').trim(),
    inReplyTo: storableIds(mail.inReplyTo),
    references: storableIds(mail.references),
    text: truncated ? cutText(stripped, MAX_INBOUND_TEXT) : stripped,
    truncated,
    attachments,
    skippedAttachments,
    automatic: detectAutomaticMail({ headers: mail.headers, fromAddress, subject: mail.subject }),
    date: mail.date,
  };
}
