import { DateTime } from 'luxon';
import { organisationSchema } from '../config/organisation-schema';
import { nextAllowedTime, surveyDueTime } from './survey-timing';

const org = organisationSchema.parse({
  id: 'test-org',
  name: { ar: 'جمعية', en: 'Charity' },
  hotline: '920000000',
  workingHours: { days: ['sunday'], from: '08:00', to: '16:00' },
});
const settings = org.surveys;
const zone = 'Asia/Riyadh';
/** A Riyadh wall-clock time as a Date. */
const riyadh = (iso: string) => DateTime.fromISO(iso, { zone }).toJSDate();
const local = (d: Date) => DateTime.fromJSDate(d, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");

describe('survey timing (Asia/Riyadh)', () => {
  it('defaults: 60 minutes, quiet 21:00–09:00, Friday prayer 11:30–13:30', () => {
    expect(settings.delayMinutes).toBe(60);
    expect(settings.quietHours).toEqual({ from: '21:00', to: '09:00' });
    expect(settings.quietWindows).toEqual([{ days: ['friday'], from: '11:30', to: '13:30' }]);
  });

  it('a survey due at 22:30 waits for 09:00 the next morning', () => {
    expect(local(nextAllowedTime(riyadh('2026-11-22T22:30'), settings, zone))).toBe('2026-11-23T09:00');
  });

  it('a survey due at 03:00 waits for 09:00 the same day; 09:00 and 20:59 are allowed', () => {
    expect(local(nextAllowedTime(riyadh('2026-11-23T03:00'), settings, zone))).toBe('2026-11-23T09:00');
    expect(local(nextAllowedTime(riyadh('2026-11-23T09:00'), settings, zone))).toBe('2026-11-23T09:00');
    expect(local(nextAllowedTime(riyadh('2026-11-23T20:59'), settings, zone))).toBe('2026-11-23T20:59');
  });

  it('the delay is added first: served 20:10 + 60 min falls at night → 09:00; served 14:00 → 15:00', () => {
    expect(local(surveyDueTime(riyadh('2026-11-22T20:10'), settings, zone))).toBe('2026-11-23T09:00');
    expect(local(surveyDueTime(riyadh('2026-11-22T14:00'), settings, zone))).toBe('2026-11-22T15:00');
  });

  it('Friday prayer: 12:00 on a Friday waits for 13:30; the same time on a Thursday does not', () => {
    expect(DateTime.fromISO('2026-11-27', { zone }).weekday).toBe(5);
    expect(local(nextAllowedTime(riyadh('2026-11-27T12:00'), settings, zone))).toBe('2026-11-27T13:30');
    expect(local(nextAllowedTime(riyadh('2026-11-26T12:00'), settings, zone))).toBe('2026-11-26T12:00');
  });

  it('touching quiet periods are followed through (night ending inside a window)', () => {
    const s = { ...settings, quietWindows: [{ days: ['friday' as const], from: '09:00', to: '10:00' }] };
    expect(local(nextAllowedTime(riyadh('2026-11-27T02:00'), s, zone))).toBe('2026-11-27T10:00');
  });
});
