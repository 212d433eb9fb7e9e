/**
 * Download links for files researchers send on channels that carry links, not files (the website chat, the
 * terminal). The link is `/api/files/<message id>/<token>`, the token being 32 random bytes stored with the
 * outbound message: unguessable like an HMAC signature, but revocable by editing the message row and with no
 * key to share between the outbound and web roles. It lapses after `LINK_DAYS`. Served as a download with the
 * type the bytes were checked to be, never rendered as a page of ours.
 */
import { timingSafeEqual } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { outboundPayloadSchema } from '../messages/outbound-message';
import type { Db } from '../store/database';
import { messages } from '../store/schema';
import type { DocumentStore } from './document-store';

export const LINK_DAYS = 30;

export const attachmentDownloadPath = (messageId: number, token: string) => `/api/files/${messageId}/${token}`;

const paramsSchema = z.object({ messageId: z.coerce.number().int().positive(), token: z.string().regex(/^[0-9a-f]{64}$/) });

/** `filename*` (RFC 6266/5987) keeps an Arabic file name; the plain `filename` is an ASCII fallback. */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\w.\-]+/g, '_') || 'file';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export function registerAttachmentDownloads(app: FastifyInstance, deps: { db: Db; documents: DocumentStore; clock?: () => Date }): void {
  const clock = deps.clock ?? (() => new Date());
  app.get('/api/files/:messageId/:token', async (req, reply) => {
    const notFound = () => reply.code(404).header('cache-control', 'no-store').send({ error: 'no such file, or the link has expired', code: 'FILE_ERR_NOT_FOUND' });
    const params = paramsSchema.safeParse(req.params);
    if (!params.success) return notFound();
    const [row] = await deps.db
      .select({ payload: messages.payload, createdAt: messages.createdAt })
      .from(messages)
      .where(and(eq(messages.id, params.data.messageId), eq(messages.direction, 'out')));
    const attachment = row ? outboundPayloadSchema.safeParse(row.payload).data?.attachment : undefined;
    if (!row || !attachment) return notFound();
    const given = Buffer.from(params.data.token, 'hex');
    const expected = Buffer.from(attachment.token, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return notFound();
    if (clock().getTime() - row.createdAt.getTime() > LINK_DAYS * 24 * 3600_000) return notFound();
    const bytes = await deps.documents.read(attachment.storageKey);
    return reply
      .header('content-type', attachment.mimeType)
      .header('content-disposition', contentDisposition(attachment.fileName))
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'private, no-store')
      .send(bytes);
  });
}
