/**
 * `POST /webhooks/telegram`: Telegram posts each update here once `setWebhook` is done.
 *
 * The secret is checked before the body is even parsed (an `onRequest` hook), in constant time; a wrong or
 * missing one is a 401 and nothing is stored. The handler only parses and ingests, then answers 200 — replies
 * go out through the outbox. Errors while storing answer 500, so Telegram delivers the update again.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FloodGuard } from './telegram-flood-guard';
import type { TelegramInbound } from './telegram-inbound';
import { classifyUpdate, telegramUpdateSchema } from './telegram-update';

export const TELEGRAM_WEBHOOK_PATH = '/webhooks/telegram';
export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

/** Equal-length digests make `timingSafeEqual` usable whatever was sent, and leak nothing about the length. */
export function secretMatches(sent: string | string[] | undefined, secret: string): boolean {
  if (typeof sent !== 'string') return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(sent), digest(secret));
}

export async function registerTelegramWebhook(
  app: FastifyInstance,
  deps: { secret: string; inbound: TelegramInbound; floodGuard: FloodGuard },
): Promise<void> {
  const verify = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!secretMatches(req.headers[SECRET_HEADER], deps.secret)) {
      req.log.warn({ ip: req.ip, header: req.headers[SECRET_HEADER] === undefined ? 'missing' : 'wrong' }, 'telegram webhook refused: bad secret token');
      return reply.code(401).send({ error: 'invalid secret token' });
    }
  };
  app.post(TELEGRAM_WEBHOOK_PATH, { onRequest: verify, bodyLimit: 1024 * 1024 }, async (req, reply) => {
    const parsed = telegramUpdateSchema.safeParse(req.body);
    if (!parsed.success) {
      req.log.warn({ issues: parsed.error.issues.slice(0, 5) }, 'telegram webhook refused: not an update');
      return reply.code(400).send({ error: 'not a Telegram update' });
    }
    const event = classifyUpdate(parsed.data);
    if (event.kind === 'message' || event.kind === 'choice') {
      const { admitted, retryAfterSeconds } = await deps.floodGuard.admit(event.chatId);
      if (!admitted) {
        req.log.warn({ chatId: event.chatId, updateId: parsed.data.update_id }, 'telegram chat over the inbound limit; Telegram will redeliver');
        return reply.code(429).header('retry-after', String(retryAfterSeconds)).send({ error: 'too many messages from this chat' });
      }
    }
    await deps.inbound.handle(parsed.data);
    return reply.code(200).send({ ok: true });
  });
}
