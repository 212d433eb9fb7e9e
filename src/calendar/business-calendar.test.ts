import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { organisationSchema, type Organisation } from '../config/organisation-schema';
import { createBusinessCalendar } from './business-calendar';

const realOrganisation: Organisation = organisationSchema.parse(
  parse(readFileSync(path.join(__dirname, '../../flows/organisation.yaml'), 'utf8')),
);

/** A minimal profile through the schema, so defaults are the ones organisations get. */
const profile = (overrides: Record<string, unknown>): Organisation =>
  organisationSchema.parse({
    id: 'test-org',
    name: { ar: 'جمعية', en: 'Charity' },
    hotline: '920000000',
    workingHours: { days: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday'], from: '08:00', to: '16:00' },
    ...overrides,
  });

/** An instant given as Riyadh wall-clock time (UTC+3 all year). */
const riyadh = (local: string) => new Date(`${local}+03:00`);

// 2026-11-22 is a Sunday; 2026-09-23 (National Day) a Wednesday.
describe.each([
  ['the real flows/organisation.yaml', realOrganisation],
  ['an inline Riyadh profile with the same holiday', profile({ holidays: [{ name: { ar: 'اليوم الوطني', en: 'National Day' }, from: '2026-09-23' }] })],
])('%s', (_name, org) => {
  const cal = createBusinessCalendar(org);

  test.each([
    ['Sunday 10:00', '2026-11-22T10:00', true],
    ['Sunday 08:00 (opening minute)', '2026-11-22T08:00', true],
    ['Sunday 07:59', '2026-11-22T07:59', false],
    ['Sunday 15:59', '2026-11-22T15:59', true],
    ['Sunday 16:00 (closing minute)', '2026-11-22T16:00', false],
    ['Sunday 17:00', '2026-11-22T17:00', false],
    ['Thursday 10:00', '2026-11-19T10:00', true],
    ['Friday 10:00', '2026-11-20T10:00', false],
    ['Saturday 10:00', '2026-11-21T10:00', false],
    ['National Day (a Wednesday) 10:00', '2026-09-23T10:00', false],
    ['the day after National Day 10:00', '2026-09-24T10:00', true],
  ])('isOpen on %s: %s', (_what, local, open) => {
    expect(cal.isOpen(riyadh(local))).toBe(open);
  });

  test('isOpen uses Riyadh time, not the server clock: 06:00 UTC on Sunday is 09:00 in Riyadh', () => {
    expect(cal.isOpen(new Date('2026-11-22T06:00:00Z'))).toBe(true);
    expect(cal.isOpen(new Date('2026-11-22T13:30:00Z'))).toBe(false);
  });

  test.each([
    ['Thursday evening → Sunday 08:00', '2026-11-19T18:00', '2026-11-22T08:00'],
    ['Thursday after closing → Sunday 08:00', '2026-11-19T16:00', '2026-11-22T08:00'],
    ['Friday noon → Sunday 08:00', '2026-11-20T12:00', '2026-11-22T08:00'],
    ['Sunday before opening → the same morning', '2026-11-22T06:30', '2026-11-22T08:00'],
    ['Tuesday evening before National Day → Thursday 08:00', '2026-09-22T20:00', '2026-09-24T08:00'],
  ])('nextOpening: %s', (_what, from, expected) => {
    expect(cal.nextOpening(riyadh(from)).toISOString()).toBe(riyadh(expected).toISOString());
  });

  test('nextOpening while open is now', () => {
    const now = riyadh('2026-11-23T11:15');
    expect(cal.nextOpening(now).getTime()).toBe(now.getTime());
  });

  test.each([
    ['Sunday + 14 is a Sunday', '2026-11-22T10:00', '2026-12-06'],
    ['Friday + 14 is a Friday → Sunday', '2026-11-20T10:00', '2026-12-06'],
    ['Saturday + 14 is a Saturday → Sunday', '2026-11-21T10:00', '2026-12-06'],
    ['+14 lands on National Day → the next day', '2026-09-09T10:00', '2026-09-24'],
    ['+14 lands on the Thursday before a weekend → stays', '2026-11-05T10:00', '2026-11-19'],
  ])('decisionDate: %s', (_what, submitted, expectedDay) => {
    const decision = cal.decisionDate(riyadh(submitted));
    expect(cal.localDate(decision)).toBe(expectedDay);
  });

  test('decisionDate counts from the Riyadh date: 22:30 UTC on Saturday is already Sunday', () => {
    expect(cal.localDate(cal.decisionDate(new Date('2026-11-21T22:30:00Z')))).toBe('2026-12-06');
  });

  test('localDate is the Riyadh date near midnight UTC', () => {
    expect(cal.localDate(new Date('2026-11-21T22:30:00Z'))).toBe('2026-11-22');
    expect(cal.localDate(new Date('2026-11-21T20:59:00Z'))).toBe('2026-11-21');
    expect(cal.localDate(new Date('2026-11-21T21:00:00Z'))).toBe('2026-11-22');
  });
});

describe('the real profile', () => {
  const cal = createBusinessCalendar(realOrganisation);

  test('a decision date inside the Eid holiday moves past it and the weekend that follows', () => {
    // 2027-02-23 + 14 = 2027-03-09, first day of the Eid holiday (9–13 March; the 13th is a Saturday).
    expect(cal.localDate(cal.decisionDate(riyadh('2027-02-23T10:00')))).toBe('2027-03-14');
  });

  test('every day of a multi-day holiday is closed', () => {
    for (const day of ['2027-03-09', '2027-03-10', '2027-03-11']) expect(cal.isOpen(riyadh(`${day}T10:00`))).toBe(false);
    expect(cal.isOpen(riyadh('2027-03-14T10:00'))).toBe(true);
  });
});

describe('inline profiles', () => {
  test('another zone, week and hours: Dubai, Monday–Friday 09:00–13:00, weekend Saturday–Sunday', () => {
    const cal = createBusinessCalendar(
      profile({
        timezone: 'Asia/Dubai',
        workingHours: { days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], from: '09:00', to: '13:00' },
        weekend: ['saturday', 'sunday'],
      }),
    );
    const dubai = (local: string) => new Date(`${local}+04:00`);
    expect(cal.isOpen(dubai('2026-11-20T10:00'))).toBe(true); // Friday
    expect(cal.isOpen(dubai('2026-11-22T10:00'))).toBe(false); // Sunday
    expect(cal.isOpen(dubai('2026-11-23T13:30'))).toBe(false); // Monday, after hours
    expect(cal.nextOpening(dubai('2026-11-20T14:00')).toISOString()).toBe(dubai('2026-11-23T09:00').toISOString());
  });

  test('a weekday listed both as working and as weekend is not a working day', () => {
    const cal = createBusinessCalendar(profile({ weekend: ['thursday', 'friday', 'saturday'] }));
    expect(cal.isOpen(riyadh('2026-11-19T10:00'))).toBe(false);
    expect(cal.nextOpening(riyadh('2026-11-18T17:00')).toISOString()).toBe(riyadh('2026-11-22T08:00').toISOString());
  });

  test('a shorter committee period', () => {
    const cal = createBusinessCalendar(profile({ committee: { decisionDays: 3 } }));
    // Wednesday + 3 = Saturday → Sunday.
    expect(cal.localDate(cal.decisionDate(riyadh('2026-11-18T09:00')))).toBe('2026-11-22');
  });

  test('a holiday range given with from/to closes each day in it', () => {
    const cal = createBusinessCalendar(
      profile({ holidays: [{ name: { ar: 'عيد', en: 'Eid' }, from: '2026-11-22', to: '2026-11-24' }] }),
    );
    expect(cal.isOpen(riyadh('2026-11-23T10:00'))).toBe(false);
    expect(cal.nextOpening(riyadh('2026-11-19T18:00')).toISOString()).toBe(riyadh('2026-11-25T08:00').toISOString());
  });
});
