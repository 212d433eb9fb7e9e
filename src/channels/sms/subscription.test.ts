import { subscriptionKeyword } from './subscription';

describe('subscriptionKeyword', () => {
  test.each([
    ['إيقاف', 'stop', 'ar'],
    ['ايقاف', 'stop', 'ar'],
    [' إيقاف. ', 'stop', 'ar'],
    ['STOP', 'stop', 'en'],
    ['Stop', 'stop', 'en'],
    ['UNSUBSCRIBE', 'stop', 'en'],
    ['START', 'start', 'en'],
    ['اشتراك', 'start', 'ar'],
  ] as const)('%j is %s (%s)', (text, kind, language) => {
    expect(subscriptionKeyword(text)).toEqual({ kind, language });
  });

  test.each(['please stop calling me later', 'إلغاء', 'القائمة', '1', ''])('%j is not a keyword', (text) => {
    expect(subscriptionKeyword(text)).toBeNull();
  });
});
