import type { Organisation } from '../config/organisation-schema';
import { describeWorkingHours } from './describe-working-hours';

type Hours = Organisation['workingHours'];
const sundayToThursday: Hours = { days: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday'], from: '08:00', to: '16:00' };

describe('describeWorkingHours', () => {
  test.each([
    ['a Saudi week in Arabic', sundayToThursday, 'ar', 'الأحد – الخميس، 08:00 – 16:00'],
    ['a Saudi week in English', sundayToThursday, 'en', 'Sunday – Thursday, 08:00 – 16:00'],
    // The order in the file does not matter: days are read in calendar order.
    ['days listed out of order', { ...sundayToThursday, days: ['thursday', 'sunday', 'tuesday', 'monday', 'wednesday'] }, 'en', 'Sunday – Thursday, 08:00 – 16:00'],
    ['two days are named, not ranged', { days: ['monday', 'tuesday'], from: '09:00', to: '12:00' }, 'ar', 'الاثنين، الثلاثاء، 09:00 – 12:00'],
    ['a gap lists each day', { days: ['sunday', 'tuesday', 'thursday'], from: '08:00', to: '14:00' }, 'en', 'Sunday, Tuesday, Thursday, 08:00 – 14:00'],
    ['a single day', { days: ['saturday'], from: '10:00', to: '13:30' }, 'ar', 'السبت، 10:00 – 13:30'],
  ] as [string, Hours, 'ar' | 'en', string][])('%s', (_what, hours, lang, expected) => {
    expect(describeWorkingHours(hours, lang)).toBe(expected);
  });

  test('does not depend on the process time zone (day names come from a fixed UTC week)', () => {
    // Every weekday name appears exactly once for a seven-day week, whatever TZ the server runs in.
    const all: Hours = { days: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'], from: '00:00', to: '23:59' };
    expect(describeWorkingHours(all, 'en')).toBe('Sunday – Saturday, 00:00 – 23:59');
  });
});
