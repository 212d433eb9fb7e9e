import fc from 'fast-check';
import { maskDeep, maskPersonalText, MOBILE_MASK, NATIONAL_ID_MASK } from './mask-personal-data';

const arabicIndic = (ascii: string) => ascii.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d)));
const persian = (ascii: string) => ascii.replace(/[0-9]/g, (d) => String.fromCharCode(0x06f0 + Number(d)));

describe('maskPersonalText', () => {
  it.each([
    ['0551234567', 'local 05…'],
    ['551234567', 'bare 5…'],
    ['+966551234567', 'international'],
    ['+966 55 123 4567', 'spaced'],
    ['00966-55-123-4567', '00 prefix with dashes'],
    ['966551234567@c.us', "a WhatsApp id"],
    [arabicIndic('0551234567'), 'Arabic-Indic digits'],
    [persian('0551234567'), 'Persian digits'],
    ['055\u200E123\u200E4567', 'left-to-right marks between the digits'],
  ])('masks a mobile number: %s (%s)', (phone) => {
    const masked = maskPersonalText(`رقمي ${phone} شكرا`);
    expect(masked).toContain(MOBILE_MASK);
    expect(masked).not.toMatch(/[0-9\u0660-\u0669\u06F0-\u06F9]{4}/);
  });

  it.each([
    ['1012345678', 'a citizen'],
    ['2012345678', 'a resident (iqama)'],
    [arabicIndic('1012345678'), 'Arabic-Indic digits'],
    [persian('2012345678'), 'Persian digits'],
  ])('masks a national ID: %s (%s)', (id) => {
    expect(maskPersonalText(`هويتي:${id}.`)).toBe(`هويتي:${NATIONAL_ID_MASK}.`);
  });

  it('leaves other numbers alone: reference numbers, amounts, dates, longer runs', () => {
    const text = 'الطلب REQ-2026-000123 بمبلغ 1500 ريال بتاريخ 2026-12-05، رقم 12345678901';
    expect(maskPersonalText(text)).toBe(text);
  });

  it('masks any ID placed anywhere in any text, and keeps the text around it', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('1', '2'), fc.stringMatching(/^[0-9]{9}$/), fc.string(), (before, first, rest, after) => {
        const line = `${before} ${first}${rest} ${after}`;
        const masked = maskPersonalText(line);
        expect(masked).not.toContain(`${first}${rest}`);
        expect(masked.endsWith(maskPersonalText(` ${after}`))).toBe(true);
      }),
    );
  });

  it('maskDeep reaches strings nested in objects and arrays', () => {
    expect(maskDeep({ a: ['0551234567', { b: '1012345678' }], n: 1012345678 })).toEqual({
      a: [MOBILE_MASK, { b: NATIONAL_ID_MASK }],
      // A number is not text a person typed; IDs travel as strings everywhere in Wasl.
      n: 1012345678,
    });
  });
});
