/**
 * HTTP side of the terminal channel: `POST /api/cli/messages` ingests what the person typed (or a file), and
 * `GET /api/cli/stream` streams replies as server-sent events, first those missed since `Last-Event-ID`.
 * Meant for local use (it has no authentication): disable with CLI_CHANNEL_ENABLED=false on a public server.
 */
import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { acceptedDocumentTypes, MAX_DOCUMENT_BYTES, type DocumentStore } from '../../documents/document-store';
import type { IngestDeps } from '../../pipeline/ingest';
import { ingest } from '../../pipeline/ingest';
import type { Db } from '../../store/database';
import { contacts, conversations, messages } from '../../store/schema';
import { withNumberedChoices } from '../format-choices';
import { outboundPayloadSchema } from '../../messages/outbound-message';
import { cliTopic, type CliEvent } from './cli-adapter';

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

export interface CliRouteDeps extends IngestDeps {
  db: Db;
  documents: DocumentStore;
  subscriber: Redis;
  prefix: string;
}

export async function registerCliRoutes(app: FastifyInstance, deps: CliRouteDeps): Promise<void> {
  const listeners = new Map<string, Set<(e: CliEvent) => void>>();
  await deps.subscriber.psubscribe(`${deps.prefix}:cli:*`);
  deps.subscriber.on('pmessage', (_pattern, channel, payload) => {
    const userId = channel.slice(`${deps.prefix}:cli:`.length);
    const event = JSON.parse(payload) as CliEvent;
    for (const l of listeners.get(userId) ?? []) l(event);
  });

  app.post('/api/cli/messages', async (req, reply) => {
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
    const result = await ingest(deps, {
      channel: 'cli',
      channelUserId: body.userId,
      providerMessageId: body.messageId,
      text: body.text,
      media,
    });
    return reply.code(202).send(result);
  });

  app.get('/api/cli/stream', async (req, reply) => {
    const q = z.object({ userId: userIdSchema, after: z.coerce.number().int().min(0).optional() }).safeParse(req.query);
    if (!q.success) return reply.code(400).send({ error: 'invalid query', details: z.prettifyError(q.error) });
    const lastEventId = Number(req.headers['last-event-id'] ?? q.data.after ?? 0) || 0;
    const userId = q.data.userId;

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let lastSent = lastEventId;
    const write = (e: CliEvent) => {
      if (e.id <= lastSent) return;
      lastSent = e.id;
      res.write(`id: ${e.id}\ndata: ${JSON.stringify({ text: e.text })}\n\n`);
    };
    // Listen first, then replay what was missed, so nothing falls between the two.
    const set = listeners.get(userId) ?? new Set();
    listeners.set(userId, set);
    const buffered: CliEvent[] = [];
    let replaying = true;
    const listener = (e: CliEvent) => (replaying ? buffered.push(e) : write(e));
    set.add(listener);
    const missed = await deps.db
      .select({ id: messages.id, text: messages.text, payload: messages.payload })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(
        and(
          eq(contacts.channel, 'cli'),
          eq(contacts.channelUserId, userId),
          eq(messages.direction, 'out'),
          inArray(messages.status, ['queued', 'sent', 'delivered', 'read']),
          gt(messages.id, lastEventId),
        ),
      )
      .orderBy(asc(messages.id));
    for (const m of missed) {
      const payload = outboundPayloadSchema.safeParse(m.payload);
      write({ id: m.id, text: withNumberedChoices({ text: m.text ?? '', choices: payload.success ? payload.data.choices : [] }) });
    }
    replaying = false;
    buffered.sort((a, b) => a.id - b.id).forEach(write);
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(ping);
      set.delete(listener);
      if (set.size === 0) listeners.delete(userId);
    });
  });
}
