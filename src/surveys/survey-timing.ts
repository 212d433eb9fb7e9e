/**
 * When a survey may be sent: never in the organisation's quiet hours (night, by default 21:00–09:00) nor in its
 * quiet windows (Friday prayer by default), all in the organisation's own time zone. Pure, clock-free
 * functions, so a test with a fake time proves the rule without waiting.
 */
import { DateTime } from 'luxon';
import type { Organisation, Weekday } from '../config/organisation-schema';

export type SurveySettings = Organisation['surveys'];

const luxonWeekday: Record<Weekday, number> = { monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6, sunday: 7 };

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
};

/**
 * If `t` falls in a quiet period, the local time that period ends; otherwise null. A period whose `from` is
 * after its `to` runs over midnight (21:00–09:00).
 */
function quietUntil(t: DateTime, settings: SurveySettings): DateTime | null {
  const minute = t.hour * 60 + t.minute;
  const at = (hhmm: string, dayOffset = 0) =>
    t.startOf('day').plus({ days: dayOffset, minutes: minutesOf(hhmm) });
  const { from, to } = settings.quietHours;
  const f = minutesOf(from);
  const e = minutesOf(to);
  if (f > e) {
    if (minute >= f) return at(to, 1);
    if (minute < e) return at(to);
  } else if (f < e && minute >= f && minute < e) {
    return at(to);
  }
  for (const w of settings.quietWindows) {
    if (!w.days.some((d) => luxonWeekday[d] === t.weekday)) continue;
    if (minute >= minutesOf(w.from) && minute < minutesOf(w.to)) return at(w.to);
  }
  return null;
}

/** `at` itself when asking is allowed then, else the first minute after the quiet period(s) it falls in. */
export function nextAllowedTime(at: Date, settings: SurveySettings, zone: string): Date {
  let t: DateTime = DateTime.fromJSDate(at, { zone });
  // Periods can touch (night ends at 09:00, a window starts at 09:00): follow them until one lets go.
  for (let i = 0; i < 20; i++) {
    const until = quietUntil(t, settings);
    if (!until) return t.toJSDate();
    t = until;
  }
  throw new Error(`survey quiet hours cover the whole day (${JSON.stringify(settings.quietHours)}); nothing could ever be sent`);
}

/** When a survey for a service finished at `from` is due: the profile's delay, then out of quiet hours. */
export function surveyDueTime(from: Date, settings: SurveySettings, zone: string, delayMinutes = settings.delayMinutes): Date {
  return nextAllowedTime(new Date(from.getTime() + delayMinutes * 60_000), settings, zone);
}
