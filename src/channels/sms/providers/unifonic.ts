/**
 * Unifonic (el.cloud.unifonic.com): `POST /rest/SMS/messages`, form-encoded, authenticated by the application's
 * `AppSid` parameter; recipients as `9665…` without `+`. A refusal may come inside a 200 (`success: false` with
 * an `errorCode`). Webhooks (inbound SMS, delivery reports) carry our shared secret.
 * docs.unifonic.com/docs/sending-your-first-sms-via-unifonic-api; ENGINEERING.md §6.
 */
import type { ChannelCapabilities } from '../../channel-adapter';
import { parseLooseWebhook } from '../loose-webhook';
import { callSmsProvider, providerRefused } from '../provider-http';
import { e164ToDigits } from '../sms-number';
import { verifySharedSecret, type SmsProvider } from '../sms-provider';

export interface UnifonicConfig {
  baseUrl: string;
  appSid: string;
  /** The registered sender name (`SenderID`). */
  sender: string;
  webhookSecret: string;
  rateLimit: ChannelCapabilities['rateLimit'];
}

interface UnifonicAnswer {
  success?: boolean | string;
  errorCode?: string;
  message?: string;
  data?: { MessageID?: string | number };
}

export function createUnifonicProvider(config: UnifonicConfig): SmsProvider {
  return {
    name: 'unifonic',
    rateLimit: config.rateLimit,
    async send(m) {
      const form = new URLSearchParams({
        AppSid: config.appSid,
        SenderID: config.sender,
        Recipient: e164ToDigits(m.to),
        Body: m.text,
        responseType: 'JSON',
        CorrelationID: m.reference,
      });
      const { body } = await callSmsProvider('unifonic', new URL('/rest/SMS/messages', config.baseUrl).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
      });
      const answer = (body ?? {}) as UnifonicAnswer;
      const id = answer.data?.MessageID;
      if (String(answer.success) !== 'true' || id === undefined) throw providerRefused('unifonic', { errorCode: answer.errorCode, message: answer.message });
      return { providerMessageId: String(id) };
    },
    verify: (req) => verifySharedSecret(req, config.webhookSecret),
    parse: parseLooseWebhook,
  };
}
