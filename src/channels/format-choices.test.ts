import { splitText, withNumberedChoices } from './format-choices';

describe('withNumberedChoices', () => {
  test('text without choices is unchanged', () => {
    expect(withNumberedChoices({ text: 'مرحبا', choices: [] })).toBe('مرحبا');
  });

  test('choices become a numbered list under the text, in order, after a blank line', () => {
    const out = withNumberedChoices({
      text: 'كيف نخدمك؟',
      choices: [
        { number: 1, value: 'apply', label: 'تقديم طلب' },
        { number: 2, value: 'status', label: 'متابعة طلب' },
        { number: 3, value: 'human', label: 'التحدث مع باحث' },
      ],
    });
    expect(out).toBe('كيف نخدمك؟\n\n1. تقديم طلب\n2. متابعة طلب\n3. التحدث مع باحث');
  });

  test('the number shown is the choice number, not its position', () => {
    const out = withNumberedChoices({ text: 'x', choices: [{ number: 7, value: 'v', label: 'L' }] });
    expect(out.split('\n').at(-1)).toBe('7. L');
  });
});

describe('splitText', () => {
  test('short text is one part', () => {
    expect(splitText('قصير', 10)).toEqual(['قصير']);
    expect(splitText('x'.repeat(10), 10)).toEqual(['x'.repeat(10)]);
  });

  test('splits at a line break when there is one in the second half', () => {
    const text = `${'أ'.repeat(30)}\n${'ب'.repeat(30)}`;
    expect(splitText(text, 40)).toEqual(['أ'.repeat(30), 'ب'.repeat(30)]);
  });

  test('splits at a space rather than inside a word', () => {
    const words = Array.from({ length: 40 }, (_, i) => `كلمة${i}`);
    const parts = splitText(words.join(' '), 50);
    for (const p of parts) for (const w of p.split(' ')) expect(words).toContain(w);
  });

  test('cuts a single very long word at the limit', () => {
    expect(splitText('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });

  // Random texts of words, lines and long runs: no part is over the limit, and no text is lost.
  const samples: string[] = [];
  let seed = 42;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let s = 0; s < 200; s++) {
    const pieces: string[] = [];
    const len = 1 + rnd(80);
    for (let i = 0; i < len; i++) {
      const kind = rnd(10);
      pieces.push(kind === 0 ? '\n' : kind === 1 ? 'ط'.repeat(5 + rnd(60)) : ['سلة', 'غذائية', 'REQ-10482', 'مرحبا', 'a'][rnd(5)]!);
    }
    samples.push(pieces.join(rnd(2) ? ' ' : ''));
  }

  test.each([5, 10, 20, 40, 160, 4096])('max %i: never exceeds, keeps all text', (max) => {
    for (const text of samples) {
      const parts = splitText(text, max);
      for (const p of parts) expect(p.length).toBeLessThanOrEqual(max);
      expect(parts.every((p) => p.length > 0)).toBe(true);
      // Only whitespace at a cut may go; every other character stays, in order.
      expect(parts.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
    }
  });

  // A hard cut must fall between whole characters: a lone surrogate is rejected by providers or shown as '�'.
  test('never cuts a character in half', () => {
    for (const p of splitText('😀'.repeat(10), 5)) expect(p).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  // An empty part would be an empty message, which Telegram and WhatsApp refuse.
  test('leading spaces never produce an empty part', () => {
    expect(splitText(`${' '.repeat(10)}abcdefgh`, 5).every((p) => p.length > 0)).toBe(true);
  });
});
