/**
 * The organisation's working calendar in its own time zone: whether a researcher is on duty now, when the next
 * shift starts, and the earliest date a committee decision can come. Weekends and holidays come from the
 * organisation profile; luxon does the zone arithmetic so daylight-saving-free Riyadh and any other zone work alike.
 */
import { DateTime } from 'luxon';
import type { Organisation, Weekday } from '../config/organisation-schema';

const luxonWeekday: Record<Weekday, number> = {
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
  sunday: 7,
};

export interface BusinessCalendar {
  isOpen(at: Date): boolean;
  /** `at` itself when open, otherwise the start of the next working period. */
  nextOpening(at: Date): Date;
  /** Submission date + committee days, moved forward to a working day. */
  decisionDate(submittedAt: Date): Date;
  isWorkingDay(day: DateTime): boolean;
  /** The organisation's local date, `YYYY-MM-DD`. */
  localDate(at: Date): string;
}

export function createBusinessCalendar(org: Pick<Organisation, 'timezone' | 'workingHours' | 'weekend' | 'holidays' | 'committee'>): BusinessCalendar {
  const zone = org.timezone;
  const workDays = new Set(org.workingHours.days.map((d) => luxonWeekday[d]));
  const weekend = new Set(org.weekend.map((d) => luxonWeekday[d]));
  const [fromH, fromM] = org.workingHours.from.split(':').map(Number) as [number, number];
  const [toH, toM] = org.workingHours.to.split(':').map(Number) as [number, number];
  const holidays = org.holidays.map((h) => ({ from: h.from, to: h.to ?? h.from }));

  const isHoliday = (day: DateTime) => {
    const iso = day.toISODate()!;
    return holidays.some((h) => iso >= h.from && iso <= h.to);
  };
  const isWorkingDay = (day: DateTime) => workDays.has(day.weekday) && !weekend.has(day.weekday) && !isHoliday(day);
  const opening = (day: DateTime) => day.set({ hour: fromH, minute: fromM, second: 0, millisecond: 0 });
  const closing = (day: DateTime) => day.set({ hour: toH, minute: toM, second: 0, millisecond: 0 });

  return {
    isWorkingDay,
    isOpen(at) {
      const t = DateTime.fromJSDate(at, { zone });
      return isWorkingDay(t) && t >= opening(t) && t < closing(t);
    },
    nextOpening(at) {
      const t = DateTime.fromJSDate(at, { zone });
      if (isWorkingDay(t) && t >= opening(t) && t < closing(t)) return at;
      let day = isWorkingDay(t) && t < opening(t) ? t : t.plus({ days: 1 }).startOf('day');
      // A year of holidays at most; beyond that the profile is wrong, and we say "the next working day" anyway.
      for (let i = 0; i < 370 && !isWorkingDay(day); i++) day = day.plus({ days: 1 });
      return opening(day).toJSDate();
    },
    decisionDate(submittedAt) {
      let day = DateTime.fromJSDate(submittedAt, { zone }).startOf('day').plus({ days: org.committee.decisionDays });
      for (let i = 0; i < 370 && !isWorkingDay(day); i++) day = day.plus({ days: 1 });
      return day.set({ hour: 12 }).toJSDate();
    },
    localDate(at) {
      return DateTime.fromJSDate(at, { zone }).toISODate()!;
    },
  };
}
