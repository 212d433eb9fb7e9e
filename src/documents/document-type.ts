/** What a file really is, from its first bytes: a claimed MIME type or file name proves nothing. */
import { acceptedDocumentTypes } from './document-store';

export type AcceptedDocumentType = (typeof acceptedDocumentTypes)[number];

/** The accepted type these bytes really are, from their signature; null for anything else. */
export function sniffDocumentType(bytes: Buffer): AcceptedDocumentType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  if (bytes.length >= 5 && bytes.toString('latin1', 0, 5) === '%PDF-') return 'application/pdf';
  return null;
}
