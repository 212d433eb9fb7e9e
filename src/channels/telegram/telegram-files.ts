/**
 * Photos and documents a beneficiary sends become request documents: fetched through the Bot API's `getFile`
 * and file URL (both under TELEGRAM_API_ROOT), checked, and stored in the document store.
 *
 * The type is decided by the file's first bytes, not by the name or the type the sender's app claims: a renamed
 * executable must not reach a researcher as "scan.pdf". The size is checked before downloading (Telegram tells
 * it) and again while downloading, so a lying header cannot fill the disk.
 */
import type { Telegram } from 'telegraf';
import { acceptedDocumentTypes, MAX_DOCUMENT_BYTES, type DocumentStore } from '../../documents/document-store';
import type { InboundMedia } from '../../messages/inbound-message';
import { sniffDocumentType } from '../../documents/document-type';
import type { TelegramFileRef } from './telegram-update';

export { sniffDocumentType, type AcceptedDocumentType } from '../../documents/document-type';

export type FileOutcome = { ok: true; media: InboundMedia } | { ok: false; reason: 'too-large' | 'type' | 'unavailable' };

/** Thrown for a failure worth retrying (network, Telegram 5xx): the update is then not acknowledged. */
export class TelegramFileError extends Error {
  constructor(
    message: string,
    readonly fileId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TelegramFileError';
  }
}

interface TelegramApiError {
  code?: unknown;
  description?: unknown;
}

export async function fetchTelegramFile(
  deps: { telegram: Telegram; documents: DocumentStore; timeoutMs?: number },
  ref: TelegramFileRef,
): Promise<FileOutcome> {
  if (ref.claimedSizeBytes !== undefined && ref.claimedSizeBytes > MAX_DOCUMENT_BYTES) return { ok: false, reason: 'too-large' };
  if (ref.claimedMimeType && !(acceptedDocumentTypes as readonly string[]).includes(ref.claimedMimeType)) return { ok: false, reason: 'type' };

  let file;
  try {
    file = await deps.telegram.getFile(ref.fileId);
  } catch (err) {
    const code = (err as TelegramApiError).code;
    // 400 is Telegram's answer for a file over its 20 MB download limit or one that no longer exists.
    if (code === 400) return { ok: false, reason: /too big/i.test(String((err as TelegramApiError).description)) ? 'too-large' : 'unavailable' };
    throw new TelegramFileError(`getFile failed for ${ref.fileId}: ${(err as Error).message}`, ref.fileId, { cause: err });
  }
  if (file.file_size !== undefined && file.file_size > MAX_DOCUMENT_BYTES) return { ok: false, reason: 'too-large' };
  if (!file.file_path) return { ok: false, reason: 'unavailable' };

  // The link contains the bot token: it is never logged, and errors below name the file id only.
  const link = await deps.telegram.getFileLink(file);
  let bytes: Buffer;
  try {
    const res = await fetch(link, { signal: AbortSignal.timeout(deps.timeoutMs ?? 60_000) });
    if (res.status === 404) return { ok: false, reason: 'unavailable' };
    if (!res.ok || !res.body) throw new Error(`download answered ${res.status}`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      // Leaving the loop cancels the stream: the rest is never downloaded.
      if (size > MAX_DOCUMENT_BYTES) return { ok: false, reason: 'too-large' };
      chunks.push(Buffer.from(chunk));
    }
    bytes = Buffer.concat(chunks);
  } catch (err) {
    throw new TelegramFileError(`download of ${ref.fileId} failed: ${(err as Error).message}`, ref.fileId, { cause: err });
  }

  const mimeType = sniffDocumentType(bytes);
  if (!mimeType) return { ok: false, reason: 'type' };
  const storageKey = await deps.documents.save(bytes);
  const media: InboundMedia = { storageKey, mimeType, sizeBytes: bytes.length };
  const fileName = ref.fileName?.replace(/[\u0000-\u001f/\\]/g, '_').slice(0, 300);
  if (fileName) media.fileName = fileName;
  return { ok: true, media };
}
