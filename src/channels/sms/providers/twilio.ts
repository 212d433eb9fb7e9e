/**
 * Twilio: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded `To`, `From`, `Body`, HTTP Basic
 * (Account SID : auth token); recipients in E.164 with `+`. Inbound messages and status callbacks are form posts
 * signed with `X-Twilio-Signature` (twilio-signature.ts). Two-way SMS to Saudi numbers is not offered on
 * alphanumeric senders (ENGINEERING.md §6): with Twilio, replies need a number as SMS_SENDER.
 */
import type { ChannelCapabilities } from '../../channel-adapter';
import { callSmsProvider, providerRefused } from '../provider-http';
import { deliveryStateOf, type SmsProvider, type SmsWebhookEvent } from '../sms-provider';
import { verifyTwilioSignature, type TwilioParams } from '../twilio-signature';

export interface TwilioConfig {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** An alphanumeric sender ID or a Twilio number (E.164). */
  sender: string;
  /** Where Twilio posts delivery updates; unset = only what the number's own configuration says. */
  statusCallback?: string;
  rateLimit: ChannelCapabilities['rateLimit'];
}

export function createTwilioProvider(config: TwilioConfig): SmsProvider {
  const auth = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString('base64')}`;
  return {
    name: 'twilio',
    rateLimit: config.rateLimit,
    async send(m) {
      const form = new URLSearchParams({ To: m.to, From: config.sender, Body: m.text });
      if (config.statusCallback) form.set('StatusCallback', config.statusCallback);
      const path = `/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
      const { body } = await callSmsProvider('twilio', new URL(path, config.baseUrl).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: auth },
        body: form.toString(),
      });
      const sid = (body as { sid?: string } | null)?.sid;
      if (!sid) throw providerRefused('twilio', body);
      return { providerMessageId: sid };
    },
    verify(req) {
      const header = req.headers['x-twilio-signature'];
      return verifyTwilioSignature({
        authToken: config.authToken,
        url: req.url,
        signature: typeof header === 'string' ? header : undefined,
        params: (req.format === 'form' ? req.body : {}) as TwilioParams,
        rawBody: req.rawBody,
        json: req.format === 'json',
      });
    },
    parse(req) {
      const f = (req.body ?? {}) as Record<string, unknown>;
      const str = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : undefined);
      const sid = str('MessageSid') ?? str('SmsSid');
      if (req.format !== 'form' || !sid) return { ok: false, reason: 'expected a Twilio form post with MessageSid' };
      const status = str('MessageStatus') ?? str('SmsStatus');
      if (status && status !== 'received') {
        const state = deliveryStateOf(status);
        if (!state) return { ok: false, reason: `unknown MessageStatus "${status.slice(0, 40)}"` };
        const code = str('ErrorCode');
        const event: SmsWebhookEvent = { kind: 'status', providerMessageId: sid, state, ...(code && state === 'failed' ? { error: `Twilio error ${code}` } : {}) };
        return { ok: true, events: [event] };
      }
      const from = str('From');
      const text = str('Body');
      if (!from || text === undefined) return { ok: false, reason: 'an inbound Twilio message needs From and Body' };
      return { ok: true, events: [{ kind: 'inbound', providerMessageId: sid, from, text }] };
    },
  };
}
