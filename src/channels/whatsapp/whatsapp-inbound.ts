/**
 * Turns a whatsapp-web.js message into an `InboundMessage`, or says why it is ignored. Media is downloaded at
 * once: WhatsApp keeps it only for a while, and `downloadMedia()` returns nothing once it has expired.
 */
import type { Logger } from 'pino';
import { acceptedDocumentTypes, MAX_DOCUMENT_BYTES, type DocumentStore } from '../../documents/document-store';
import type { InboundMedia, InboundMessageInput } from '../../messages/inbound-message';
import { cutText } from '../../text/storable-text';
import { loggableMessageId, type WhatsappMessage } from './whatsapp-client';

/**
 * Voice notes (`ptt`, Opus in Ogg) and audio files. They are kept as media so a researcher can listen to them;
 * the engine's document steps still accept only what `acceptedDocumentTypes` lists.
 */
export const voiceNoteTypes = ['audio/ogg', 'audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/amr'] as const;
export const whatsappMediaTypes: readonly string[] = [...acceptedDocumentTypes, ...voiceNoteTypes];

/** Longest text kept from one message (the same cap as the terminal channel); the rest is cut. */
export const MAX_INBOUND_TEXT = 4000;

/** Notifications WhatsApp delivers as messages that no person wrote. */
const systemTypes = new Set([
  'e2e_notification',
  'notification',
  'notification_template',
  'gp2',
  'call_log',
  'protocol',
  'revoked',
  'ciphertext',
  'debug',
  'broadcast_notification',
]);

export type InboundDecision = { kind: 'message'; message: InboundMessageInput } | { kind: 'ignored'; reason: string };

/** Why a message is not for the bot, or null when it is: only one person writing to the number is. */
export function ignoreReason(m: Pick<WhatsappMessage, 'from' | 'fromMe' | 'isStatus' | 'broadcast' | 'type'>): string | null {
  if (m.fromMe) return 'sent from our own number';
  if (m.isStatus || m.from === 'status@broadcast') return 'status broadcast';
  if (m.from.endsWith('@g.us')) return 'group chat';
  if (m.broadcast || m.from.endsWith('@broadcast')) return 'broadcast list';
  if (!/@(c\.us|lid)$/.test(m.from)) return `not a person's chat (${m.from.replace(/^[^@]*/, '…')})`;
  if (systemTypes.has(m.type)) return `system message (${m.type})`;
  return null;
}

/** `9665XXXXXXXX@c.us` → `+9665XXXXXXXX`. `@lid` ids hide the number, so they prove none. */
export function mobileOfChatId(chatId: string): string | undefined {
  const digits = /^(\d{8,15})@c\.us$/.exec(chatId)?.[1];
  return digits ? `+${digits}` : undefined;
}

export async function toInboundMessage(m: WhatsappMessage, deps: { documents: DocumentStore; log: Logger }): Promise<InboundDecision> {
  const reason = ignoreReason(m);
  if (reason) return { kind: 'ignored', reason };
  const raw = (m.rawData ?? {}) as { size?: unknown; notifyName?: unknown };
  const media: InboundMedia[] = [];
  if (m.hasMedia) {
    const kept = await keepMedia(m, typeof raw.size === 'number' ? raw.size : undefined, deps);
    if (kept) media.push(kept);
  }
  let text = m.body ?? '';
  if (text.length > MAX_INBOUND_TEXT) {
    deps.log.warn({ messageId: loggableMessageId(m.id._serialized), length: text.length }, 'WhatsApp message text cut to the inbound limit');
    text = cutText(text, MAX_INBOUND_TEXT);
  }
  const verifiedMobile = mobileOfChatId(m.from);
  return {
    kind: 'message',
    message: {
      channel: 'whatsapp',
      channelUserId: m.from,
      providerMessageId: m.id._serialized,
      text,
      media,
      ...(typeof raw.notifyName === 'string' && raw.notifyName ? { displayName: cutText(raw.notifyName, 200) } : {}),
      ...(verifiedMobile ? { verifiedMobile } : {}),
      receivedAt: new Date(m.timestamp * 1000),
    },
  };
}

/**
 * Downloads and stores the media if its size and type are acceptable. A refused file still lets the message
 * through (with its caption): in a document step the engine then asks again for a photo or a PDF.
 */
async function keepMedia(m: WhatsappMessage, declaredSize: number | undefined, deps: { documents: DocumentStore; log: Logger }): Promise<InboundMedia | null> {
  const ctx = { messageId: loggableMessageId(m.id._serialized), type: m.type };
  // WhatsApp allows documents of up to 2 GB; never pull one into memory just to refuse it.
  if (declaredSize !== undefined && declaredSize > MAX_DOCUMENT_BYTES) {
    deps.log.info({ ...ctx, declaredSize }, 'WhatsApp media larger than the document limit; not downloaded');
    return null;
  }
  // whatsapp-web.js throws for any download error but a 404 (and when the page is gone): WhatsApp will not
  // deliver the message again, so its caption goes through without the file rather than being lost.
  let downloaded: Awaited<ReturnType<WhatsappMessage['downloadMedia']>>;
  try {
    downloaded = await m.downloadMedia();
  } catch (err) {
    deps.log.warn({ ...ctx, err: err instanceof Error ? err.message : String(err) }, 'WhatsApp media download failed; the message is kept without it');
    return null;
  }
  if (!downloaded?.data) {
    deps.log.warn(ctx, 'WhatsApp media could not be downloaded (expired or failed)');
    return null;
  }
  const mimeType = downloaded.mimetype.split(';')[0]!.trim().toLowerCase();
  const bytes = Buffer.from(downloaded.data, 'base64');
  if (bytes.length > MAX_DOCUMENT_BYTES || !whatsappMediaTypes.includes(mimeType)) {
    deps.log.info({ ...ctx, mimeType, sizeBytes: bytes.length }, 'WhatsApp media refused (size or type)');
    return null;
  }
  const storageKey = await deps.documents.save(bytes);
  return { storageKey, mimeType, sizeBytes: bytes.length, ...(downloaded.filename ? { fileName: downloaded.filename.slice(0, 300) } : {}) };
}
