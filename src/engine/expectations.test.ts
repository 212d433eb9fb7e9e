import type { InboundMedia } from '../messages/inbound-message';
import { checkAnswer, isStrictKind, matchChoice, parseNumber, type Answer, type ChoiceMatchContext } from './expectations';
import { expectSchema, type ChoiceOption, type Expectation } from './flow-schema';

/** Expectations as a flow file would declare them, with the schema's defaults applied. */
const expectation = (raw: unknown): Expectation => expectSchema.parse(raw);

// Rendered labels stand in for the template catalogue: what each label key reads in ar and en.
const labelText: Record<string, string[]> = {
  'housing.owned': ['ملك', 'Owned'],
  'housing.rented': ['إيجار', 'Rented'],
  'types.food': ['سلة غذائية', 'Food basket'],
  'types.financial': ['مساعدة مالية', 'Financial help'],
  'types.medical': ['مساعدة علاجية', 'Medical help'],
};
const context = (intent: string | null = null): ChoiceMatchContext => ({ labels: (o) => labelText[o.label] ?? [], intent });

const housing = expectation({
  kind: 'choice',
  options: [
    { value: 'owned', label: 'housing.owned', words: ['بيت ملك', 'own'] },
    { value: 'rented', label: 'housing.rented', words: ['مستأجر', 'بالايجار', 'rent'], intents: ['rent_help'] },
  ],
}) as Extract<Expectation, { kind: 'choice' }>;
const supportTypes = expectation({
  kind: 'choice',
  options: [
    { value: 'food', label: 'types.food', words: ['اكل'], intents: ['food_help'] },
    { value: 'financial', label: 'types.financial', words: ['فلوس'], intents: ['money_help', 'shared_intent'] },
    { value: 'medical', label: 'types.medical', words: ['علاج'], intents: ['shared_intent'] },
  ],
}) as Extract<Expectation, { kind: 'choice' }>;

const noMedia: InboundMedia[] = [];
const check = (expect: Expectation, text: string, opts: { media?: InboundMedia[]; intent?: string | null; isMine?: (t: string) => boolean } = {}): Answer =>
  checkAnswer(expect, { text, media: opts.media ?? noMedia }, context(opts.intent ?? null), opts.isMine ?? (() => false));

const arabicIndic = (ascii: string) => ascii.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));

describe('parseNumber', () => {
  test.each([
    ['٥ أفراد', 5],
    ['5 افراد', 5],
    ['12,500 ريال', 12500],
    ['١٢٬٥٠٠ ريال', 12500],
    ['خمسة', 5],
    ['خمسه', 5],
    ['عددنا ثلاثة', 3],
    ['five', 5],
    ['3.5', 3.5],
    ['٣٫٥', 3.5],
    ['0', 0],
    ['\u200F٧\u200F', 7],
  ])('%j → %d', (text, expected) => {
    expect(parseNumber(text)).toBe(expected);
  });

  test.each(['3 او 4', 'بين 2000 و 3000', 'ما ادري', '', 'كثير'])('%j → null', (text) => {
    expect(parseNumber(text)).toBeNull();
  });

  // A compound number in words must never be read as its first word ("خمسة وعشرين" as 5): the right number,
  // or null so the question is asked again.
  test.each([
    ['خمسة وعشرين', 25],
    ['عشرة آلاف', 10000],
  ])('compound number words %j are not misread as their first word', (text, value) => {
    expect([value, null]).toContain(parseNumber(text));
  });
});

describe('checkAnswer', () => {
  describe('text', () => {
    const city = expectation({ kind: 'text', minLength: 2, maxLength: 10 });
    test.each([
      ['الرياض', true],
      ['  جدة  ', true],
      ['أ', false],
      ['مكة المكرمة جدا', false],
      // Length counts characters as people see them: ten emoji are ten characters, not twenty UTF-16 units.
      ['😀'.repeat(10), true],
    ])('%j ok=%s', (text, ok) => {
      const a = check(city, text);
      expect(a.ok).toBe(ok);
      if (a.ok) expect(a.value).toBe(text.trim());
      else expect(a).toEqual({ ok: false, template: 'validation.text-length', params: { min: 2, max: 10 } });
    });
  });

  describe('name', () => {
    const name = expectation({ kind: 'name' });
    test.each([
      ['محمد الحربي', 'محمد الحربي'],
      ['  محمد    عبدالله   الحربي ', 'محمد عبدالله الحربي'],
      ['Mohammed Al-Harbi', 'Mohammed Al-Harbi'],
      ["Noura O'Neil", "Noura O'Neil"],
      ['\u200Fنورة السبيعي\u200F', 'نورة السبيعي'],
    ])('%j is a name', (text, value) => {
      expect(check(name, text)).toEqual({ ok: true, value });
    });

    test.each(['محمد', 'Mohammed', 'محمد 2 الحربي', `محمد ${arabicIndic('2')} الحربي`, 'محمد_الحربي123', 'test@example.com', ''])(
      '%j is not a name',
      (text) => {
        expect(check(name, text)).toEqual({ ok: false, template: 'validation.name' });
      },
    );
  });

  describe('number', () => {
    const family = expectation({ kind: 'number', min: 1, max: 30 });
    const income = expectation({ kind: 'number', min: 0, max: 200000, integer: false });
    test.each([
      [family, '٥ أفراد', { ok: true, value: 5 }],
      [family, 'خمسة', { ok: true, value: 5 }],
      [family, '30', { ok: true, value: 30 }],
      [family, '31', { ok: false, template: 'validation.number-range', params: { min: 1, max: 30 } }],
      [family, '0', { ok: false, template: 'validation.number-range', params: { min: 1, max: 30 } }],
      [family, '3.5', { ok: false, template: 'validation.integer' }],
      [family, 'ما ادري', { ok: false, template: 'validation.number' }],
      [family, '3 او 4', { ok: false, template: 'validation.number' }],
      [income, '12,500 ريال', { ok: true, value: 12500 }],
      [income, '3500.75', { ok: true, value: 3500.75 }],
      [income, '0', { ok: true, value: 0 }],
      [income, '250000', { ok: false, template: 'validation.number-range', params: { min: 0, max: 200000 } }],
    ] as const)('%#: %j', (expect_, text, expected) => {
      expect(check(expect_, text)).toEqual(expected);
    });
  });

  describe('national-id', () => {
    const nid = expectation({ kind: 'national-id' });
    test.each([
      ['1101234563', '1101234563'],
      [arabicIndic('1101234563'), '1101234563'],
      ['\u200F2000000006 ', '2000000006'],
    ])('%j is accepted, keeping the digits and a mask of all but the last four', (text, id) => {
      expect(check(nid, text)).toEqual({ ok: true, value: id, masked: `******${id.slice(-4)}` });
    });

    test.each(['1234567890', '3000000008', '123456789', 'ما عندي'])('%j is refused', (text) => {
      expect(check(nid, text)).toEqual({ ok: false, template: 'validation.national-id' });
    });
  });

  describe('mobile', () => {
    const mobile = expectation({ kind: 'mobile' });
    test.each(['0501234567', '050 123 4567', '+966501234567', arabicIndic('0501234567')])('%j → E.164', (text) => {
      expect(check(mobile, text)).toEqual({ ok: true, value: '+966501234567' });
    });
    test.each(['0111234567', '05012345', '0521234567'])('%j is refused', (text) => {
      expect(check(mobile, text)).toEqual({ ok: false, template: 'validation.mobile' });
    });
  });

  describe('date', () => {
    const date = expectation({ kind: 'date' });
    const past = expectation({ kind: 'date', past: true });
    test.each([
      ['2024-03-15', '2024-03-15'],
      ['2024/3/5', '2024-03-05'],
      ['15/03/2024', '2024-03-15'],
      ['5-3-2024', '2024-03-05'],
      ['15.03.2024', '2024-03-15'],
      [arabicIndic('15/03/2024'), '2024-03-15'],
      ['29/02/2024', '2024-02-29'],
    ])('%j → %s', (text, iso) => {
      expect(check(date, text)).toEqual({ ok: true, value: iso });
    });

    test.each(['31/02/2024', '29/02/2023', '2024-13-01', '00/01/2024', 'امس', '15/03/24', '2024-03-15 10:00'])('%j is not a date', (text) => {
      expect(check(date, text)).toEqual({ ok: false, template: 'validation.date' });
    });

    test('a past-only date refuses a date in the future', () => {
      const nextYear = new Date().getUTCFullYear() + 1;
      expect(check(past, `${nextYear}-01-01`)).toEqual({ ok: false, template: 'validation.date' });
      expect(check(past, '2000-01-01')).toEqual({ ok: true, value: '2000-01-01' });
    });
  });

  describe('reference', () => {
    const ref = expectation({ kind: 'reference' });
    const refOrMine = expectation({ kind: 'reference', allowMine: true });
    const isMine = (t: string) => t.trim() === 'طلباتي';
    test.each([
      [ref, 'REQ-10482', { ok: true, value: 'REQ-10482' }],
      [ref, 'رقم ١٠٤٨٢', { ok: true, value: 'REQ-10482' }],
      [ref, 'طلباتي', { ok: false, template: 'validation.reference' }],
      [ref, 'ما اعرفه', { ok: false, template: 'validation.reference' }],
      [refOrMine, 'طلباتي', { ok: true, value: 'mine' }],
      [refOrMine, 'REQ-22917', { ok: true, value: 'REQ-22917' }],
      [refOrMine, 'REQ-10482 REQ-22917', { ok: false, template: 'validation.reference' }],
    ] as const)('%#: %j', (expect_, text, expected) => {
      expect(check(expect_, text, { isMine })).toEqual(expected);
    });
  });

  describe('digits', () => {
    const last4 = expectation({ kind: 'digits', length: 4 });
    test.each([
      ['4563', '4563'],
      [arabicIndic('4563'), '4563'],
      ['45 63', '4563'],
    ])('%j → %s, masked', (text, value) => {
      expect(check(last4, text)).toEqual({ ok: true, value, masked: '****' });
    });
    test.each(['456', '45631', 'abcd', '45a3'])('%j is refused with the length', (text) => {
      expect(check(last4, text)).toEqual({ ok: false, template: 'validation.digits', params: { length: 4 } });
    });
  });

  describe('choice', () => {
    test.each([
      ['the number', '2', 'rented'],
      ['an Arabic-Indic number', '١', 'owned'],
      ['the Arabic label', 'إيجار', 'rented'],
      ['the Arabic label, spelled loosely', 'ايجار', 'rented'],
      ['the English label in any case', 'OWNED', 'owned'],
      ['a word', 'مستأجر', 'rented'],
      ['the option value', 'rented', 'rented'],
      ['a word inside a short sentence', 'احنا ساكنين بالايجار', 'rented'],
    ])('by %s (%j)', (_how, text, value) => {
      expect(check(housing, text)).toEqual({ ok: true, value });
    });

    test('by the intent of free text, when only one option carries it', () => {
      expect(check(housing, 'ما عندنا بيت', { intent: 'rent_help' })).toEqual({ ok: true, value: 'rented' });
    });

    test.each([
      ['a number past the last option', '3'],
      ['zero', '0'],
      ['unrelated text', 'مدري'],
    ])('refuses %s', (_why, text) => {
      expect(check(housing, text)).toEqual({ ok: false, template: 'validation.choice' });
    });
  });

  describe('file', () => {
    const doc = expectation({ kind: 'file' });
    const images = expectation({ kind: 'file', accept: ['image/*'], maxBytes: 2 * 1024 * 1024 });
    const media = (mimeType: string, sizeBytes = 1000): InboundMedia => ({ storageKey: `sha256/${mimeType}`, mimeType, sizeBytes });

    test.each([
      [doc, media('application/pdf'), true],
      [doc, media('image/jpeg'), true],
      [doc, media('image/gif'), 'validation.file-type'],
      [doc, media('application/zip'), 'validation.file-type'],
      [images, media('image/webp'), true],
      [images, media('application/pdf'), 'validation.file-type'],
      [doc, media('application/pdf', 10 * 1024 * 1024), true],
      [doc, media('application/pdf', 10 * 1024 * 1024 + 1), 'validation.file-size'],
    ] as const)('%#: %o', (expect_, m, outcome) => {
      const a = check(expect_, '', { media: [m] });
      if (outcome === true) expect(a).toEqual({ ok: true, value: m.storageKey, media: m });
      else expect(a).toMatchObject({ ok: false, template: outcome });
    });

    test('the size limit is named in megabytes', () => {
      expect(check(images, '', { media: [media('image/png', 3 * 1024 * 1024)] })).toEqual({
        ok: false,
        template: 'validation.file-size',
        params: { maxMegabytes: 2 },
      });
    });

    test('text without a file asks for the file', () => {
      expect(check(doc, 'ارسلته امس')).toEqual({ ok: false, template: 'validation.file-missing' });
    });
  });
});

describe('matchChoice', () => {
  const options = supportTypes.options;
  const pick = (text: string, intent: string | null = null): string | null => matchChoice(options, text, context(intent))?.value ?? null;

  test.each([
    ['1', 'food'],
    ['٣', 'medical'],
    ['سلة غذائية', 'food'],
    ['سله غذائيه', 'food'],
    ['Financial Help', 'financial'],
    ['اكل', 'food'],
    ['فلوس!', 'financial'],
    ['ابي سلة غذائية الله يجزاكم خير', 'food'],
    ['محتاج علاج للوالدة', 'medical'],
  ])('%j → %s', (text, value) => {
    expect(pick(text)).toBe(value);
  });

  test('a contained word pointing at two options picks neither', () => {
    expect(pick('ابي اكل او علاج')).toBeNull();
  });

  test('short words are not matched inside sentences (they are too often part of other words)', () => {
    const short: ChoiceOption[] = [{ value: 'yes', label: 'x.yes', words: ['اي'], intents: [] }];
    expect(matchChoice(short, 'اي', context())?.value).toBe('yes');
    expect(matchChoice(short, 'اي شي', context())).toBeNull();
  });

  test('an intent picks the option that carries it, and only when exactly one does', () => {
    expect(pick('ما عندنا شي ناكله', 'food_help')).toBe('food');
    expect(pick('وضعنا صعب', 'shared_intent')).toBeNull();
    expect(pick('وضعنا صعب', null)).toBeNull();
  });

  test('a number wins over an intent', () => {
    expect(pick('2', 'food_help')).toBe('financial');
  });

  test.each(['', '   ', '؟؟', '0', '4'])('%j picks nothing', (text) => {
    expect(pick(text)).toBeNull();
  });
});

describe('isStrictKind', () => {
  test('only free text and names can be mistaken for a question', () => {
    const kinds: Expectation['kind'][] = ['text', 'name', 'number', 'national-id', 'mobile', 'date', 'reference', 'digits', 'choice', 'file'];
    expect(kinds.filter((k) => !isStrictKind(k))).toEqual(['text', 'name']);
  });
});
