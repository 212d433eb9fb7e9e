/**
 * How to add an SMS provider: write `providers/<name>.ts` returning an `SmsProvider` (send, verify, parse), add
 * its name and credentials to `config/env-schema.ts`, list it in `createSmsProvider` below, and give it a fake
 * in `test/fakes/fake-sms-providers.ts` that checks the exact request its API documents.
 */
import { z } from 'zod';
import type { ChannelCapabilities } from '../channel-adapter';
import { storableString } from '../../text/storable-text';
import { safeEqual } from './twilio-signature';

export const smsProviderNames = ['unifonic', 'taqnyat', 'twilio', 'generic'] as const;
export type SmsProviderName = (typeof smsProviderNames)[number];

/** A webhook call as the provider made it; `url` is the full public URL (Twilio signs it). */
export interface SmsWebhookRequest {
  url: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string>;
  /** Form fields (as strings) or the parsed JSON body. */
  body: unknown;
  rawBody: string;
  format: 'form' | 'json';
}

export const smsDeliveryStates = ['sent', 'delivered', 'failed'] as const;
export type SmsDeliveryState = (typeof smsDeliveryStates)[number];

/**
 * What any provider's webhook may tell us. Every string is the caller's to choose and is made storable here
 * (text/storable-text.ts): a delivery report with a NUL in its id or error failed its UPDATE with a 500.
 */
const callerText = storableString;

export const smsWebhookEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('inbound'),
    providerMessageId: callerText().min(1).max(200),
    /** The sender as the provider wrote it (9665…, +9665…); normalised to E.164 by the channel. */
    from: callerText().min(3).max(40),
    text: callerText().max(2000),
  }),
  z.object({
    kind: z.literal('status'),
    providerMessageId: callerText().min(1).max(200),
    state: z.enum(smsDeliveryStates),
    error: callerText().max(300).optional(),
  }),
]);
export type SmsWebhookEvent = z.infer<typeof smsWebhookEventSchema>;

export type SmsParseResult = { ok: true; events: SmsWebhookEvent[] } | { ok: false; reason: string };

export interface SmsSend {
  /** E.164, e.g. +966501234567; each driver writes it the way its API wants. */
  to: string;
  text: string;
  /** Our id for this send (`wasl-<messageId>`), passed where the API keeps one for tracing. */
  reference: string;
}

export interface SmsProvider {
  readonly name: SmsProviderName;
  /** Sends per period the provider allows; the SMS outbound queue is limited to it. */
  readonly rateLimit: ChannelCapabilities['rateLimit'];
  /** Throws `ChannelDeliveryError` (429/5xx/network retryable, other 4xx permanent). */
  send(message: SmsSend): Promise<{ providerMessageId: string }>;
  /** Authenticates a webhook call, in constant time. */
  verify(req: SmsWebhookRequest): boolean;
  /** Inbound messages and delivery reports in the call; `ok: false` when it is malformed. */
  parse(req: SmsWebhookRequest): SmsParseResult;
}

/** The secret providers without signatures send back: `?secret=` in the configured URL or an X-Webhook-Secret header. */
export function verifySharedSecret(req: SmsWebhookRequest, secret: string): boolean {
  const header = req.headers['x-webhook-secret'];
  const given = (typeof header === 'string' ? header : undefined) ?? req.query.secret;
  return typeof given === 'string' && safeEqual(given, secret);
}

/** Maps the many spellings of delivery states (Delivered, DELIVRD, undelivered, Rejected…) to ours. */
export function deliveryStateOf(raw: string): SmsDeliveryState | null {
  const s = raw.trim().toLowerCase();
  if (['delivered', 'delivrd', 'delivered_to_handset'].includes(s)) return 'delivered';
  if (['failed', 'undelivered', 'undeliv', 'undeliverable', 'rejected', 'rejectd', 'expired', 'canceled', 'cancelled', 'deleted'].includes(s)) return 'failed';
  if (['sent', 'queued', 'accepted', 'sending', 'scheduled', 'enroute', 'acceptd'].includes(s)) return 'sent';
  return null;
}
