import { cutText, toStorableText } from './storable-text';

describe('toStorableText', () => {
  test.each([
    ['a\u0000b', 'ab'],
    ['\u001B[31mred', '[31mred'],
    ['tab\tnew\nline\r\n', 'tab\tnew\nline\r\n'],
    ['half \uD83D pair', 'half \uFFFD pair'],
    ['\uDE00 trailing half', '\uFFFD trailing half'],
    ['😀 whole pair', '😀 whole pair'],
    ['السلام عليكم ١٢٣', 'السلام عليكم ١٢٣'],
  ])('%j → %j', (input, output) => {
    expect(toStorableText(input)).toBe(output);
  });
});

describe('cutText', () => {
  test('never keeps half of a surrogate pair', () => {
    expect(cutText('ab😀', 3)).toBe('ab');
    expect(cutText('ab😀', 4)).toBe('ab😀');
    expect(cutText('abc', 2)).toBe('ab');
  });
});
