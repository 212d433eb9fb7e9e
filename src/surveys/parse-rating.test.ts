import { isSurveyOptOut, parseRating } from './parse-rating';

describe('parseRating', () => {
  it.each([
    ['5', 5], ['٥', 5], ['۵', 5], ['1', 1], ['٣', 3], ['4.', 4], [' 2 ', 2],
    ['5/5', 5], ['٥/٥', 5], ['4 من 5', 4], ['٤ من ٥', 4], ['3 out of 5', 3], ['8/10', 4],
    ['⭐⭐⭐⭐⭐', 5], ['⭐️⭐️⭐️', 3], ['⭐', 1], ['★★★★', 4], ['🌟🌟', 2], ['⭐⭐⭐⭐⭐ ممتازة', 5],
    ['ممتاز', 5], ['ممتازة', 5], ['رائع', 5], ['excellent', 5], ['Excellent!', 5], ['جيد جدا', 4], ['جيد جدًا', 4], ['زين', 4],
    ['good', 4], ['جيد', 3], ['مقبول', 3], ['عادي', 3], ['ok', 3], ['سيء', 2], ['سيئ', 2], ['سيئة', 2], ['مو زين', 2], ['not good', 2],
    ['bad', 2], ['سيء جدا', 1], ['سيئة جدًا', 1], ['terrible', 1], ['Very bad', 1], ['واحد', 1], ['خمسة', 5],
  ])('%s → %d', (text, score) => {
    expect(parseRating(text)).toBe(score);
  });

  it.each(['', '0', '6', '٧', '10', '5/10/5', '⭐⭐⭐⭐⭐⭐', '⭐⭐ ممتاز', 'متى يصرف الدعم؟', 'hello', 'القائمة', '12345', 'stop surveys'])(
    '%j is not a rating',
    (text) => {
      expect(parseRating(text)).toBeNull();
    },
  );
});

describe('isSurveyOptOut', () => {
  it.each(['لا أرغب في الاستبيانات', 'لا ارغب في الاستبيانات.', 'Stop surveys', 'no more surveys', 'ايقاف الاستبيانات'])('%s', (text) => {
    expect(isSurveyOptOut(text)).toBe(true);
  });
  it.each(['5', 'لا', 'stop', 'ممتاز'])('%s is not an opt-out', (text) => {
    expect(isSurveyOptOut(text)).toBe(false);
  });
});
