import { createHash } from 'node:crypto';
import { safeEqual, twilioSignature, verifyTwilioSignature } from './twilio-signature';

// Twilio's classic example (ENGINEERING.md §6), checked there against twilio@6.2.0's own validateRequest.
const vector = {
  authToken: '12345',
  url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  params: { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' },
  signature: '0/KCTR6DLpKmkAf8muzZqo1nDgQ=',
};

describe('twilioSignature', () => {
  test("matches Twilio's documented test vector", () => {
    expect(twilioSignature(vector.authToken, vector.url, vector.params)).toBe(vector.signature);
    expect(verifyTwilioSignature({ ...vector })).toBe(true);
  });

  test('parameter order does not matter, values and names do', () => {
    const reversed = Object.fromEntries(Object.entries(vector.params).reverse());
    expect(verifyTwilioSignature({ ...vector, params: reversed })).toBe(true);
    expect(verifyTwilioSignature({ ...vector, params: { ...vector.params, Digits: '1235' } })).toBe(false);
    expect(verifyTwilioSignature({ ...vector, url: vector.url.replace('https', 'http') })).toBe(false);
    expect(verifyTwilioSignature({ ...vector, authToken: '12346' })).toBe(false);
    expect(verifyTwilioSignature({ ...vector, signature: undefined })).toBe(false);
    expect(verifyTwilioSignature({ ...vector, signature: '' })).toBe(false);
  });

  test('an Arabic SMS body is signed as UTF-8', () => {
    const params = { Body: 'إيقاف', From: '+966501234567', MessageSid: 'SM1' };
    const sig = twilioSignature('token', 'https://wasl.example/webhooks/sms/twilio', params);
    expect(verifyTwilioSignature({ authToken: 'token', url: 'https://wasl.example/webhooks/sms/twilio', params, signature: sig })).toBe(true);
    expect(verifyTwilioSignature({ authToken: 'token', url: 'https://wasl.example/webhooks/sms/twilio', params: { ...params, Body: 'ايقاف' }, signature: sig })).toBe(false);
  });

  test('repeated parameters sign every value', () => {
    // url + A1 + A2
    expect(twilioSignature('t', 'https://x', { A: ['1', '2'] })).toBe(twilioSignature('t', 'https://xA1', { A: '2' }));
  });

  test('JSON bodies: the URL is signed and bodySHA256 must match the raw body', () => {
    const body = '{"a":1}';
    const sha = createHash('sha256').update(body).digest('hex');
    const url = `https://wasl.example/hook?bodySHA256=${sha}`;
    const signature = twilioSignature('t', url);
    expect(verifyTwilioSignature({ authToken: 't', url, signature, params: {}, rawBody: body, json: true })).toBe(true);
    expect(verifyTwilioSignature({ authToken: 't', url, signature, params: {}, rawBody: '{"a":2}', json: true })).toBe(false);
  });

  test('safeEqual', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
