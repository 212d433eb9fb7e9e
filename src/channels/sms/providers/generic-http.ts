/**
 * A gateway of your own (or a small bridge to a provider Wasl has no driver for) that speaks this contract:
 * - send: `POST SMS_GENERIC_URL`, `Authorization: Bearer SMS_GENERIC_TOKEN`, JSON `{ to, from, text, reference }`
 *   with `to` in E.164; answer 2xx with `{ "id": "<provider message id>" }`.
 * - webhooks: `POST /webhooks/sms/generic?secret=…` with JSON `{ "type": "inbound", "id", "from", "text" }` or
 *   `{ "type": "status", "id", "status": "sent" | "delivered" | "failed", "error"? }`, or a list of them.
 */
import { z } from 'zod';
import type { ChannelCapabilities } from '../../channel-adapter';
import { callSmsProvider, providerRefused } from '../provider-http';
import { smsDeliveryStates, verifySharedSecret, type SmsProvider, type SmsWebhookEvent } from '../sms-provider';

export interface GenericHttpConfig {
  url: string;
  token: string;
  sender: string;
  webhookSecret: string;
  rateLimit: ChannelCapabilities['rateLimit'];
}

const genericEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('inbound'), id: z.string().min(1).max(200), from: z.string().min(3).max(40), text: z.string().max(2000) }),
  z.object({ type: z.literal('status'), id: z.string().min(1).max(200), status: z.enum(smsDeliveryStates), error: z.string().max(300).optional() }),
]);
const genericBodySchema = z.union([genericEventSchema, z.array(genericEventSchema).min(1).max(100)]);

export function createGenericHttpProvider(config: GenericHttpConfig): SmsProvider {
  return {
    name: 'generic',
    rateLimit: config.rateLimit,
    async send(m) {
      const { body } = await callSmsProvider('generic', config.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${config.token}` },
        body: JSON.stringify({ to: m.to, from: config.sender, text: m.text, reference: m.reference }),
      });
      const id = (body as { id?: string | number } | null)?.id;
      if (id === undefined || id === null) throw providerRefused('generic', body);
      return { providerMessageId: String(id) };
    },
    verify: (req) => verifySharedSecret(req, config.webhookSecret),
    parse(req) {
      const parsed = genericBodySchema.safeParse(req.body);
      if (!parsed.success) return { ok: false, reason: z.prettifyError(parsed.error) };
      const events = (Array.isArray(parsed.data) ? parsed.data : [parsed.data]).map(
        (e): SmsWebhookEvent =>
          e.type === 'inbound'
            ? { kind: 'inbound', providerMessageId: e.id, from: e.from, text: e.text }
            : { kind: 'status', providerMessageId: e.id, state: e.status, ...(e.error ? { error: e.error } : {}) },
      );
      return { ok: true, events };
    },
  };
}
