import { normalizeArabic } from './normalize-arabic';
import { phoneticKey } from './phonetic-key';
import { lightStemArabic } from './stem-arabic';

describe('normalizeArabic', () => {
  test.each([
    ['tashkeel is removed', 'أُرِيدُ مُسَاعَدَةً', 'اريد مساعده'],
    ['tatweel is removed', 'ابـــي اسجـــل', 'ابي اسجل'],
    ['hamza forms fold to bare alef', 'أحمد إبراهيم آمنه ٱلبيت', 'احمد ابراهيم امنه البيت'],
    ['ؤ and ئ fold', 'مسؤول جائزه', 'مسوول جايزه'],
    ['ta marbuta folds to ha', 'الجمعية', 'الجمعيه'],
    ['alef maqsura folds to ya', 'على متى', 'علي متي'],
    ['letters repeated 3+ times collapse', 'ابييييي مرحبااا', 'ابي مرحبا'],
    ['laughter collapses', 'ههههههه', 'ه'],
    ['Arabic-Indic digits become ASCII', 'رقم ١٠٤٨٢', 'رقم 10482'],
    ['Persian digits become ASCII', '۰۵۴۸', '0548'],
    ['bidi and zero-width marks are removed', '\u200fطلب\u200e\u200b رقم', 'طلب رقم'],
    ['the Arabic letter mark and soft hyphen are removed', 'طل\u061Cب م\u00ADساعده', 'طلب مساعده'],
    ['presentation-form ligature is decomposed', 'ﻻ', 'لا'],
    ['punctuation becomes space, question marks a token', 'طلبي؟؟!!', 'طلبي ?'],
    ['Latin is lowercased', 'ABI Asajel', 'abi asajel'],
    ['Arabizi digits are kept as letters', 'abi at6awa3', 'abi at6awa3'],
  ])('%s', (_name, input, expected) => {
    expect(normalizeArabic(input)).toBe(expected);
  });

  test('angry emoji become a token and other emoji disappear', () => {
    expect(normalizeArabic('محد يرد 😡')).toBe('محد يرد emojiangry');
    expect(normalizeArabic('تمام 🎉')).toBe('تمام');
  });

  test('is idempotent', () => {
    const once = normalizeArabic('السّلامُ عليكم، أبغى أسجّل ١٢ 🙏');
    expect(normalizeArabic(once)).toBe(once);
  });
});

describe('phoneticKey (Arabizi meets Arabic script)', () => {
  test.each([
    ['talabi', 'طلبي'],
    ['6alabi', 'طلبي'],
    ['3ndkom', 'عندكم'],
    ['asajel', 'اسجل'],
    ['el6alab', 'الطلب'],
    ['ya5th', 'ياخذ'],
    ['mosa3ada', 'مساعده'],
    ['at6awa3', 'اتطوع'],
  ])('%s ≈ %s', (latin, arabic) => {
    expect(phoneticKey(latin)).toBe(phoneticKey(normalizeArabic(arabic)));
    expect(phoneticKey(latin).length).toBeGreaterThan(0);
  });

  test('ignores numbers and emoji tokens', () => {
    expect(phoneticKey('10482')).toBe('');
    expect(phoneticKey('emojiangry')).toBe('');
  });
});

describe('lightStemArabic', () => {
  test.each([
    ['وبالايجار', 'ايجار'],
    ['عيالي', 'عيال'],
    ['للبيت', 'بيت'],
    ['فلوسهم', 'فلوس'],
  ])('%s → %s', (word, stem) => expect(lightStemArabic(word)).toBe(stem));

  test('never leaves fewer than three letters', () => {
    for (const w of ['ابي', 'وين', 'كم', 'بيتي']) expect(lightStemArabic(w).length).toBeGreaterThanOrEqual(Math.min(3, w.length));
  });
});
