import { createSealer, isSealed } from './sealed-value';

const keyA = 'a'.repeat(64);
const keyB = 'b'.repeat(64);

describe('createSealer', () => {
  const sealer = createSealer(keyA);

  test.each(['1000000008', 'محمد عبدالله الحربي', 'mixed نص 123 ✓', '٢٠٠٠٠٠٠٠٠٦ رقم إقامة'])('seal → open returns %j', (plain) => {
    const sealed = sealer.seal(plain);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain(plain);
    expect(sealer.open(sealed)).toBe(plain);
  });

  // Whatever the sealer produces it must read back, the empty string (an empty ciphertext body) included.
  test('seal → open returns the empty string', () => {
    expect(sealer.open(sealer.seal(''))).toBe('');
  });

  test('two seals of the same value differ (fresh IV each time)', () => {
    const a = sealer.seal('1000000008');
    const b = sealer.seal('1000000008');
    expect(a).not.toBe(b);
    expect(sealer.open(a)).toBe(sealer.open(b));
  });

  describe('tampering with any part fails to open', () => {
    const sealed = sealer.seal('1101234563');
    const parts = sealed.split('.');
    // Flip one bit of the first decoded byte of a base64 part, keeping it valid base64 of the same length.
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = bytes[0]! ^ 0x01;
      return bytes.toString('base64');
    };
    test.each([
      ['version', ['v2', parts[1], parts[2], parts[3]]],
      ['iv', [parts[0], flip(parts[1]!), parts[2], parts[3]]],
      ['tag', [parts[0], parts[1], flip(parts[2]!), parts[3]]],
      ['body', [parts[0], parts[1], parts[2], flip(parts[3]!)]],
      ['a part missing', [parts[0], parts[1], parts[3]]],
      ['truncated tag', [parts[0], parts[1], parts[2]!.slice(0, 8), parts[3]]],
    ])('%s', (_part, pieces) => {
      expect(() => sealer.open(pieces.join('.'))).toThrow();
    });
  });

  test('a different key cannot open the value', () => {
    const sealed = sealer.seal('1000000008');
    expect(() => createSealer(keyB).open(sealed)).toThrow();
  });

  test('the same key in another sealer instance opens it (nothing is kept in memory)', () => {
    expect(createSealer(keyA).open(sealer.seal('2000000006'))).toBe('2000000006');
  });

  test('hash is deterministic and depends on the key and the value', () => {
    const h = sealer.hash('1000000008');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(createSealer(keyA).hash('1000000008')).toBe(h);
    expect(createSealer(keyB).hash('1000000008')).not.toBe(h);
    expect(sealer.hash('1000000016')).not.toBe(h);
    // The hash must not be the bare SHA-256 of the value, which anyone could compute for every ID.
    expect(h).not.toBe(require('node:crypto').createHash('sha256').update('1000000008').digest('hex'));
  });

  test.each([
    ['too short', 'a'.repeat(62)],
    ['too long', 'a'.repeat(66)],
    ['empty', ''],
    ['not hex (decodes to fewer bytes)', 'z'.repeat(64)],
  ])('a key that is %s throws', (_why, key) => {
    expect(() => createSealer(key)).toThrow(/32 bytes/);
  });
});

describe('isSealed', () => {
  test.each([
    ['plain ID', '1000000008', false],
    ['masked ID', '******0008', false],
    ['number', 1000000008, false],
    ['three parts', 'v1.a.b', false],
  ])('%s', (_what, value, expected) => {
    expect(isSealed(value)).toBe(expected);
  });
});
