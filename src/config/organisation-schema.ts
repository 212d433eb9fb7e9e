/**
 * The organisation profile (`flows/organisation.yaml`): who the charity is, when it works and how long its
 * committee takes. Due dates, "when will a researcher answer" and survey timing are all computed from it.
 */
import { z } from 'zod';
import { handoffPolicySchema } from '../nlu/handoff-policy-schema';

export const weekdayNames = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof weekdayNames)[number];

const localized = z.strictObject({ ar: z.string().min(1), en: z.string().min(1) });
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'time must be HH:MM (24-hour)');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'date must be YYYY-MM-DD (Gregorian)');

const holidaySchema = z.strictObject({
  name: localized,
  from: isoDate,
  to: isoDate.optional(),
});

export const organisationSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'kebab-case id'),
  name: localized,
  hotline: z.string().min(3),
  website: z.url().optional(),
  email: z.email().optional(),
  address: localized.optional(),
  timezone: z
    .string()
    .default('Asia/Riyadh')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'unknown IANA time zone'),
  defaultLanguage: z.enum(['ar', 'en']).default('ar'),
  workingHours: z
    .strictObject({
      days: z.array(z.enum(weekdayNames)).min(1),
      from: clockTime,
      to: clockTime,
    })
    .refine((w) => w.from < w.to, 'working hours must end after they start'),
  weekend: z.array(z.enum(weekdayNames)).default(['friday', 'saturday']),
  holidays: z.array(holidaySchema).default([]),
  committee: z
    .strictObject({
      enabled: z.boolean().default(true),
      decisionDays: z.number().int().min(1).max(365).default(14),
      /** How the policy words the period; the seeds say "not less than two weeks". */
      wording: z.enum(['at-least', 'within']).default('at-least'),
    })
    .prefault({}),
  surveys: z
    .strictObject({
      delayMinutes: z.number().int().min(0).default(60),
      quietHours: z.strictObject({ from: clockTime, to: clockTime }).default({ from: '21:00', to: '09:00' }),
      /** Further windows on given days when nobody is asked (Friday prayer by default). */
      quietWindows: z
        .array(z.strictObject({ days: z.array(z.enum(weekdayNames)).min(1), from: clockTime, to: clockTime }))
        .default([{ days: ['friday'], from: '11:30', to: '13:30' }]),
      expiryHours: z.number().int().min(1).default(72),
      /** One reminder this long after the prompt when no rating came; 0 sends none. */
      reminderAfterHours: z.number().int().min(0).default(24),
      /** Also ask after a conversation the bot alone answered (off: ask only after a person's service). */
      botOnlySurveys: z.boolean().default(false),
      /** Ratings at or below this open a follow-up task for a supervisor. */
      followUpAtOrBelow: z.number().int().min(1).max(5).default(2),
      /** A beneficiary asked about one service is not asked about another within this many hours. */
      minHoursBetween: z.number().int().min(0).default(24),
      /** While the beneficiary is in another flow or with a researcher, look again this much later. */
      busyRetryMinutes: z.number().int().min(1).default(15),
    })
    .prefault({}),
  /**
   * How long each kind of personal data is kept (days), enforced by the retention job (privacy/retention.ts):
   * past its period a record is anonymised or deleted. Defaults are a starting point for the board to decide.
   */
  retention: z
    .strictObject({
      /** Message text and attachments, counted from the message; also how long an abandoned intake's answers stay in a bot conversation with no message since. */
      messagesDays: z.number().int().min(1).default(730),
      /** Documents of a decided (served, rejected, cancelled) request, counted from the decision. */
      documentsDays: z.number().int().min(1).default(365),
      /** Free-text survey comments, counted from the answer. */
      surveyCommentsDays: z.number().int().min(1).default(365),
      /** Answers and sealed national ID of a decided request, counted from the decision; type, status and dates stay. */
      closedRequestsDays: z.number().int().min(1).default(1825),
      /** When the job runs (cron, in the organisation's time zone). */
      schedule: z.string().regex(/^(\S+\s+){4}\S+$/, 'a five-field cron pattern, e.g. "30 2 * * *"').default('30 2 * * *'),
    })
    .prefault({}),
  /**
   * Data-subject requests (a copy, a correction, a deletion): the days the organisation gives itself to answer,
   * counted from the request. The PDPL's implementing regulation sets 30 days; the console marks later ones overdue.
   */
  dataRequests: z
    .strictObject({
      answerWithinDays: z.number().int().min(1).max(90).default(30),
    })
    .prefault({}),
  /** When free text is answered, clarified once, or handed to a person; every key has a default. */
  handoff: handoffPolicySchema.strict().prefault({}),
  requestTypes: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[a-z0-9-]+$/),
        documents: z.array(z.string().regex(/^[a-z0-9-]+$/)).default([]),
      }),
    )
    .default([]),
});

export type Organisation = z.infer<typeof organisationSchema>;
