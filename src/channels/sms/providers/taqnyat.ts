/**
 * Taqnyat (api.taqnyat.sa): `POST /v1/messages` with JSON `{ recipients, body, sender }` and
 * `Authorization: Bearer <token>`; recipients as `9665…` without `+` or `00`. Success is 201 with `messageId`.
 * Webhooks carry our shared secret. dev.taqnyat.sa/en/doc/sms; ENGINEERING.md §6.
 */
import type { ChannelCapabilities } from '../../channel-adapter';
import { parseLooseWebhook } from '../loose-webhook';
import { callSmsProvider, providerRefused } from '../provider-http';
import { e164ToDigits } from '../sms-number';
import { verifySharedSecret, type SmsProvider } from '../sms-provider';

export interface TaqnyatConfig {
  baseUrl: string;
  token: string;
  sender: string;
  webhookSecret: string;
  rateLimit: ChannelCapabilities['rateLimit'];
}

export function createTaqnyatProvider(config: TaqnyatConfig): SmsProvider {
  return {
    name: 'taqnyat',
    rateLimit: config.rateLimit,
    async send(m) {
      const { body } = await callSmsProvider('taqnyat', new URL('/v1/messages', config.baseUrl).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${config.token}` },
        body: JSON.stringify({ recipients: [e164ToDigits(m.to)], body: m.text, sender: config.sender }),
      });
      const id = (body as { messageId?: string | number } | null)?.messageId;
      if (id === undefined || id === null) throw providerRefused('taqnyat', body);
      return { providerMessageId: String(id) };
    },
    verify: (req) => verifySharedSecret(req, config.webhookSecret),
    parse: parseLooseWebhook,
  };
}
