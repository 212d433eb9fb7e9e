/**
 * HTTP side of the terminal channel: `POST /api/cli/messages` ingests what the person typed (or a file), and
 * `GET /api/cli/stream` streams replies as server-sent events, first those missed since `Last-Event-ID`.
 * Both demand `authorization: Bearer <token>` (cli-token.ts), checked before the body is read: the user id is
 * the client's choice, so without the token anyone reaching the port could post as, and read the replies of,
 * any CLI user. `npm run chat` derives the token from the server's own configuration; CLI_CHANNEL_ENABLED=false
 * removes the routes altogether.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { acceptedDocumentTypes, MAX_DOCUMENT_BYTES, type DocumentStore } from '../../documents/document-store';
import type { InboundMessageInput } from '../../messages/inbound-message';
import type { IngestResult } from '../../pipeline/ingest';
import type { Db } from '../../store/database';
import { withNumberedChoices } from '../format-choices';
import { createReplyHub, parseLastEventId, streamReplies } from '../reply-stream';
import { bearerTokenMatches } from './cli-token';

const userIdSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (up to 64)');

export const cliMessageBodySchema = z.object({
  userId: userIdSchema,
  /** Chosen by the client per line typed, so a retried POST is stored once. */
  messageId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/),
  text: z.string().max(4000).default(''),
  file: z
    .object({
      name: z.string().max(200),
      mimeType: z.enum(acceptedDocumentTypes),
      base64: z.string().max(Math.ceil((MAX_DOCUMENT_BYTES * 4) / 3) + 4, 'file larger than 10 MB'),
    })
    .optional(),
});

export interface CliRouteDeps {
  db: Db;
  /** The composition root's ingest, which also counts the message for /metrics. */
  ingest(message: InboundMessageInput): Promise<IngestResult>;
  documents: DocumentStore;
  subscriber: Redis;
  prefix: string;
  /** What `authorization: Bearer` must carry: `cliChannelToken(secret key)`. */
  token: string;
}

export async function registerCliRoutes(app: FastifyInstance, deps: CliRouteDeps): Promise<void> {
  const hub = await createReplyHub(deps.subscriber, deps.prefix, 'cli');
  const verify = async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization;
    if (!bearerTokenMatches(header, deps.token)) {
      req.log.warn({ ip: req.ip, url: req.routeOptions.url, authorization: header === undefined ? 'missing' : 'wrong' }, 'cli channel refused: bad token');
      return reply.code(401).send({
        error: 'missing or wrong CLI channel token',
        details: 'send "authorization: Bearer <token>"; `npm run chat` derives it from SECRET_KEY or DATA_DIR/secret.key, so run it with the server\'s configuration',
      });
    }
  };

  app.post('/api/cli/messages', { onRequest: verify }, async (req, reply) => {
    const parsed = cliMessageBodySchema.safeParse(req.body);
    if (!parsed.success) {
      req.log.warn({ issues: parsed.error.issues }, 'rejected cli message');
      return reply.code(400).send({ error: 'invalid message', details: z.prettifyError(parsed.error) });
    }
    const body = parsed.data;
    const media = [];
    if (body.file) {
      const bytes = Buffer.from(body.file.base64, 'base64');
      if (bytes.length > MAX_DOCUMENT_BYTES) return reply.code(413).send({ error: 'file larger than 10 MB' });
      const storageKey = await deps.documents.save(bytes);
      media.push({ storageKey, mimeType: body.file.mimeType, fileName: body.file.name, sizeBytes: bytes.length });
    }
    const result = await deps.ingest({
      channel: 'cli',
      channelUserId: body.userId,
      providerMessageId: body.messageId,
      text: body.text,
      media,
    });
    return reply.code(202).send(result);
  });

  app.get('/api/cli/stream', { onRequest: verify }, async (req, reply) => {
    const q = z.object({ userId: userIdSchema, after: z.coerce.number().int().min(0).optional() }).safeParse(req.query);
    if (!q.success) return reply.code(400).send({ error: 'invalid query', details: z.prettifyError(q.error) });
    const last = parseLastEventId(req.headers['last-event-id'], q.data.after);
    if (!last.ok) return reply.code(400).send({ error: 'invalid Last-Event-ID header', details: last.details });
    await streamReplies(req, reply, {
      db: deps.db,
      hub,
      channel: 'cli',
      userId: q.data.userId,
      lastEventId: last.id,
      format: (e) => ({ text: withNumberedChoices(e), ...(e.attachment ? { attachment: e.attachment } : {}) }),
    });
  });
}
