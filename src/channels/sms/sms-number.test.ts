import { e164ToDigits, senderToE164 } from './sms-number';

describe('senderToE164', () => {
  test.each([
    ['966501234567', '+966501234567'],
    ['+966501234567', '+966501234567'],
    ['00966501234567', '+966501234567'],
    ['0501234567', '+966501234567'],
    ['٠٥٠١٢٣٤٥٦٧', '+966501234567'],
    ['+447911123456', '+447911123456'],
  ])('%s → %s', (raw, e164) => expect(senderToE164(raw)).toBe(e164));

  test.each(['BIRALKHWAR', '12', '+96650', ''])('%j is not a phone number', (raw) => expect(senderToE164(raw)).toBeNull());

  test('digits for the Saudi gateways', () => expect(e164ToDigits('+966501234567')).toBe('966501234567'));
});
