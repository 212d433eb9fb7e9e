import { countSegments, gsmSeptets } from './segment-count';

const arabic = (n: number) => 'ب'.repeat(n);

describe('countSegments (ENGINEERING.md §6)', () => {
  test.each([
    ['a'.repeat(160), 'GSM-7', 1],
    ['a'.repeat(161), 'GSM-7', 2],
    ['a'.repeat(306), 'GSM-7', 2],
    ['a'.repeat(307), 'GSM-7', 3],
    [arabic(70), 'UCS-2', 1],
    [arabic(71), 'UCS-2', 2],
    [arabic(134), 'UCS-2', 2],
    [arabic(135), 'UCS-2', 3],
    ['Hello ب', 'UCS-2', 1],
    ['', 'GSM-7', 0],
  ] as const)('%#: %j is %s in %i part(s)', (text, encoding, segments) => {
    expect(countSegments(text)).toMatchObject({ encoding, segments });
  });

  test('GSM extension characters cost two septets', () => {
    expect(gsmSeptets('{}')).toBe(4);
    expect(gsmSeptets('€')).toBe(2);
    expect(countSegments('a'.repeat(158) + '^')).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(countSegments('a'.repeat(159) + '^')).toMatchObject({ encoding: 'GSM-7', units: 161, segments: 2 });
  });

  test('UCS-2 length is in UTF-16 units: an emoji counts twice', () => {
    expect(countSegments('😀').units).toBe(2);
    expect(countSegments(arabic(68) + '😀')).toMatchObject({ units: 70, segments: 1 });
    expect(countSegments(arabic(69) + '😀')).toMatchObject({ units: 71, segments: 2 });
  });

  test('Arabic-Indic digits or an RLM silently switch Latin text to UCS-2', () => {
    expect(countSegments('Your code is ١٢٣').encoding).toBe('UCS-2');
    expect(countSegments('REQ-10482\u200f').encoding).toBe('UCS-2');
    expect(countSegments('REQ-10482').encoding).toBe('GSM-7');
  });

  test('a multi-part message reports the smaller room per part', () => {
    expect(countSegments(arabic(71)).perSegment).toBe(67);
    expect(countSegments('a'.repeat(10)).perSegment).toBe(160);
  });
});
