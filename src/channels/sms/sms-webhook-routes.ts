/**
 * `POST /webhooks/sms/:provider`: inbound SMS and delivery reports. Authenticated first (Twilio's signature, a
 * shared secret otherwise; a failure is 401, logged, and nothing is stored), then parsed (malformed is 400),
 * then stored through `ingest` and answered at once — the engine replies later through the outbound queue.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { InboundMessageInput } from '../../messages/inbound-message';
import type { Db } from '../../store/database';
import { createSenderLanes } from '../../pipeline/sender-lanes';
import { recordDeliveryReport } from './delivery-reports';
import { senderToE164 } from './sms-number';
import { smsWebhookEventSchema, type SmsProvider, type SmsWebhookRequest } from './sms-provider';
import { handleSubscription, type SubscriptionDeps } from './subscription';

export interface SmsWebhookDeps extends SubscriptionDeps {
  provider: SmsProvider;
  db: Db;
  log: Logger;
  /** The public base URL the provider calls, when Wasl sits behind a proxy (Twilio signs the full URL). */
  publicBaseUrl?: string;
  ingest(message: InboundMessageInput): Promise<unknown>;
}

interface RawBody {
  format: SmsWebhookRequest['format'];
  raw: string;
  value: unknown;
}

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const BODY_LIMIT = 64 * 1024;
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export async function registerSmsWebhook(app: FastifyInstance, deps: SmsWebhookDeps): Promise<void> {
  // The opt-out check locks the sender's contact row: one number's burst of SMS waits here, holding one database
  // connection, instead of every connection the pool has (pipeline/sender-lanes.ts).
  const lanes = createSenderLanes();
  await app.register(async (scope) => {
    // Signatures are computed over what the provider sent, so this scope keeps the raw body next to the parsed one.
    for (const type of [FORM, JSON_TYPE]) if (scope.hasContentTypeParser(type)) scope.removeContentTypeParser(type);
    scope.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, raw, done) => {
      done(null, { format: 'form', raw: raw as string, value: formFields(raw as string) } satisfies RawBody);
    });
    scope.addContentTypeParser(JSON_TYPE, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, raw, done) => {
      try {
        done(null, { format: 'json', raw: raw as string, value: JSON.parse(raw as string) } satisfies RawBody);
      } catch {
        done(Object.assign(new Error('malformed JSON body'), { statusCode: 400 }), undefined);
      }
    });

    scope.post<{ Params: { provider: string } }>('/webhooks/sms/:provider', async (req, reply) => {
      if (req.params.provider !== deps.provider.name) return reply.code(404).send({ error: `SMS provider "${req.params.provider}" is not the one configured` });
      const body = req.body as RawBody | undefined;
      const request: SmsWebhookRequest = {
        url: publicUrl(req, deps.publicBaseUrl),
        headers: req.headers,
        query: Object.fromEntries(Object.entries((req.query ?? {}) as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string')),
        body: body?.value ?? {},
        rawBody: body?.raw ?? '',
        format: body?.format ?? 'form',
      };
      if (!deps.provider.verify(request)) {
        req.log.warn({ provider: deps.provider.name, ip: req.ip }, 'SMS webhook refused: bad signature or secret');
        return reply.code(401).send({ error: 'bad signature' });
      }
      const parsed = deps.provider.parse(request);
      const events = parsed.ok ? smsWebhookEventSchema.array().safeParse(parsed.events) : null;
      if (!parsed.ok || !events?.success) {
        const reason = parsed.ok ? 'event fields out of range' : parsed.reason;
        req.log.warn({ provider: deps.provider.name, reason }, 'SMS webhook refused: malformed');
        return reply.code(400).send({ error: 'malformed webhook', reason });
      }
      for (const event of events.data) {
        if (event.kind === 'status') {
          await recordDeliveryReport(deps.db, event);
          continue;
        }
        const mobile = senderToE164(event.from);
        if (!mobile) {
          req.log.warn({ provider: deps.provider.name }, 'inbound SMS from something that is not a phone number; ignored');
          continue;
        }
        const message = { mobile, providerMessageId: event.providerMessageId, text: event.text };
        await lanes.run(mobile, async () => {
          if ((await handleSubscription(deps, message)) !== 'ingest') return;
          await deps.ingest({ channel: 'sms', channelUserId: mobile, providerMessageId: event.providerMessageId, text: event.text, verifiedMobile: mobile });
        });
      }
      // An empty TwiML answer, or Twilio would reply to the sender with whatever we return.
      if (deps.provider.name === 'twilio') return reply.code(200).type('text/xml').send(EMPTY_TWIML);
      return reply.code(200).send({ ok: true });
    });
  });
}

/** Repeated names (Twilio's `MediaUrl0…`, or a list) keep each value, in order. */
function formFields(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** The URL as the provider called it: the configured public base, else the request's own host and scheme. */
function publicUrl(req: FastifyRequest, base?: string): string {
  if (base) return base.replace(/\/+$/, '') + req.url;
  const proto = String(req.headers['x-forwarded-proto'] ?? req.protocol).split(',')[0]!.trim();
  return `${proto}://${req.headers['x-forwarded-host'] ?? req.headers.host}${req.url}`;
}
