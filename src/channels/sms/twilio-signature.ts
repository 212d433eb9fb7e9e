/**
 * Twilio signs every webhook with `X-Twilio-Signature`: HMAC-SHA1 (auth token) over the full URL it called plus,
 * for form posts, each parameter name and value in name order; base64. ENGINEERING.md §6 has the recipe and the
 * test vector; https://www.twilio.com/docs/usage/webhooks/webhooks-security is the source.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Form parameters as Twilio posted them; a repeated name carries each of its values, in order. */
export type TwilioParams = Record<string, string | readonly string[]>;

/** The signature Twilio would send for this URL and form body. */
export function twilioSignature(authToken: string, url: string, params: TwilioParams = {}): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name]!;
    for (const v of typeof value === 'string' ? [value] : value) data += name + v;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/**
 * Checks a webhook in constant time. JSON bodies are signed differently: Twilio signs the URL alone and adds
 * `bodySHA256` (hex SHA-256 of the raw body) to its query string, which must then match the body.
 */
export function verifyTwilioSignature(opts: {
  authToken: string;
  url: string;
  signature: string | undefined;
  params: TwilioParams;
  rawBody?: string;
  json?: boolean;
}): boolean {
  if (!opts.signature) return false;
  if (opts.json) {
    const bodySha = new URL(opts.url).searchParams.get('bodySHA256');
    const actual = createHash('sha256').update(opts.rawBody ?? '', 'utf8').digest('hex');
    if (!bodySha || !safeEqual(bodySha, actual)) return false;
    return safeEqual(opts.signature, twilioSignature(opts.authToken, opts.url));
  }
  return safeEqual(opts.signature, twilioSignature(opts.authToken, opts.url, opts.params));
}

/** Equality that takes as long for a near miss as for a wild guess. */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}
