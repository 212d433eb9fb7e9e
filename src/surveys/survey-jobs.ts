/**
 * What the surveys worker does when a survey's job fires: send the prompt, send the one reminder, or expire.
 * Each runs in one transaction that locks the conversation row first (the drain's lock order), then the survey
 * row, and re-reads the survey's status there — so a duplicate job, a retry or a second worker does nothing,
 * and the prompt, the survey's new status and the outbox rows commit together or not at all.
 */
import { and, desc, eq, gt, ne } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Organisation } from '../config/organisation-schema';
import { parseConversationState, type ConversationState } from '../engine/conversation-state';
import { MAIN_MENU_FLOW } from '../engine/flow-catalog';
import { firstOfEachConversation, surveyJobId, type Queues, type SurveyJob } from '../queue/queues';
import type { Db, Tx } from '../store/database';
import { beneficiaries, contacts, conversations, messages, surveys } from '../store/schema';
import { standingConsent } from '../privacy/consent-history';
import type { FlowCatalog } from '../engine/flow-catalog';
import type { Language } from '../templating/template-catalog';
import { surveyJobName, surveyJobOptions } from './schedule-survey';
import { SURVEY_FLOW, SURVEY_RATE_STEP, SURVEY_REMINDER_VAR } from './survey-flow';
import { nextAllowedTime } from './survey-timing';
import type { SurveyStepRunner } from './run-survey-step';

export interface SurveyJobDeps {
  db: Db;
  queues: Pick<Queues, 'surveys' | 'enqueueSend'>;
  log: Logger;
  organisation: Organisation;
  flows: FlowCatalog;
  runStep: SurveyStepRunner;
  clock(): Date;
}

/** `busy`: the beneficiary is in another flow or with a researcher; the caller looks again at `retryAt`. */
export type SurveyJobOutcome = { done: string } | { busy: string; retryAt: Date };

type SurveyRow = typeof surveys.$inferSelect;
type ConversationRow = typeof conversations.$inferSelect;

export async function runSurveyJob(deps: SurveyJobDeps, job: SurveyJob): Promise<SurveyJobOutcome> {
  switch (job.step) {
    case 'send':
      return sendSurvey(deps, job.surveyId);
    case 'remind':
      return remindSurvey(deps, job.surveyId);
    case 'expire':
      return expireSurvey(deps, job.surveyId);
  }
}

async function sendSurvey(deps: SurveyJobDeps, surveyId: number): Promise<SurveyJobOutcome> {
  const now = deps.clock();
  const settings = deps.organisation.surveys;
  const [peek] = await deps.db.select().from(surveys).where(eq(surveys.id, surveyId)).limit(1);
  if (!peek) return { done: 'missing' };
  // A retry after a crash that followed the commit: the prompt is out; make sure its follow-up jobs exist.
  if (peek.status === 'sent') {
    await addFollowUpJobs(deps, peek, now);
    return { done: 'already-sent' };
  }
  if (peek.status !== 'scheduled') return { done: `already-${peek.status}` };
  if (!peek.beneficiaryId) return skip(deps.db, surveyId, 'no-beneficiary');
  const quiet = quietHoursWait(deps, now);
  if (quiet) return quiet;

  // Read outside the lock to know which conversation to lock; everything is checked again under it.
  const target = await promptTarget(deps.db, peek.beneficiaryId);
  if (!target) return skip(deps.db, surveyId, 'no-contact');

  const result = await deps.db.transaction(async (tx) => {
    // Reasons not to ask at all need no conversation: settle them before opening one.
    const [person] = await tx.select({ optOut: beneficiaries.surveyOptOut }).from(beneficiaries).where(eq(beneficiaries.id, peek.beneficiaryId!));
    // Never asked is no refusal: only a standing refusal or withdrawal stops the survey.
    const consent = await standingConsent(tx, peek.beneficiaryId!, 'surveys');
    const reason = person?.optOut
      ? 'opted-out'
      : consent === 'refused' || consent === 'withdrawn'
        ? 'consent-withdrawn'
        : target.contact.optedOut
        ? 'contact-opted-out'
        : peek.scheduledFor && now.getTime() - peek.scheduledFor.getTime() > settings.expiryHours * 3_600_000
          ? 'never-idle'
          : (await askedRecently(tx, peek, now, settings.minHoursBetween))
            ? 'recently-asked'
            : null;
    if (reason) {
      await tx.update(surveys).set({ status: 'skipped', skipReason: reason }).where(and(eq(surveys.id, surveyId), eq(surveys.status, 'scheduled')));
      return { outcome: { done: `skipped-${reason}` } as SurveyJobOutcome };
    }

    // Lock order as in the drain: the conversation, then the survey.
    const conv = await openConversationFor(tx, target.contact, target.language, now);
    const [survey] = await tx.select().from(surveys).where(eq(surveys.id, surveyId)).for('update');
    if (!survey || survey.status !== 'scheduled') return { outcome: { done: `already-${survey?.status ?? 'missing'}` } as SurveyJobOutcome };

    const state = parseConversationState(conv.state);
    const busy = await busyReason(tx, conv, state, deps.flows);
    if (busy) {
      return { outcome: { busy, retryAt: nextAllowedTime(new Date(now.getTime() + settings.busyRetryMinutes * 60_000), settings, deps.organisation.timezone) } as SurveyJobOutcome };
    }

    const language: Language = state.language ?? target.language;
    const outbound = await deps.runStep(tx, conv, state, { data: { surveyId }, language, now });
    const staffId = survey.staffId ?? (await assigneeOf(tx, survey.conversationId));
    const [sent] = await tx
      .update(surveys)
      .set({
        status: 'sent',
        sentAt: now,
        expiresAt: new Date(now.getTime() + settings.expiryHours * 3_600_000),
        promptConversationId: conv.id,
        channel: conv.channel,
        language,
        staffId,
      })
      .where(eq(surveys.id, surveyId))
      .returning();
    return { outcome: { done: 'sent' } as SurveyJobOutcome, outbound, sent };
  });

  if ('outbound' in result && result.outbound && result.sent) {
    for (const o of firstOfEachConversation(result.outbound)) await deps.queues.enqueueSend(o);
    await addFollowUpJobs(deps, result.sent, now);
    deps.log.info({ surveyId, channel: result.sent?.channel }, 'survey sent');
  }
  return result.outcome;
}

/** The reminder (if any, and only when it can still come before expiry) and the expiry, keyed by the subject. */
async function addFollowUpJobs(deps: SurveyJobDeps, survey: SurveyRow, now: Date): Promise<void> {
  const settings = deps.organisation.surveys;
  const subject = { kind: survey.subjectKind, id: survey.subjectId };
  const sentAt = survey.sentAt ?? now;
  const expiresAt = survey.expiresAt ?? new Date(sentAt.getTime() + settings.expiryHours * 3_600_000);
  if (settings.reminderAfterHours > 0) {
    const remindAt = nextAllowedTime(new Date(sentAt.getTime() + settings.reminderAfterHours * 3_600_000), settings, deps.organisation.timezone);
    if (remindAt < expiresAt) {
      const jobId = surveyJobId(subject, 'remind');
      await deps.queues.surveys.add(surveyJobName('remind'), { surveyId: survey.id, step: 'remind' }, surveyJobOptions(jobId, remindAt.getTime() - now.getTime()));
    }
  }
  const jobId = surveyJobId(subject, 'expire');
  await deps.queues.surveys.add(surveyJobName('expire'), { surveyId: survey.id, step: 'expire' }, surveyJobOptions(jobId, expiresAt.getTime() - now.getTime()));
}

async function remindSurvey(deps: SurveyJobDeps, surveyId: number): Promise<SurveyJobOutcome> {
  const now = deps.clock();
  const [peek] = await deps.db.select().from(surveys).where(eq(surveys.id, surveyId)).limit(1);
  if (!peek || peek.status !== 'sent' || peek.remindedAt || !peek.promptConversationId) return { done: 'no-reminder-needed' };
  const quiet = quietHoursWait(deps, now);
  if (quiet) return quiet;
  const result = await deps.db.transaction(async (tx) => {
    const [conv] = await tx.select().from(conversations).where(eq(conversations.id, peek.promptConversationId!)).for('update');
    const [survey] = await tx.select().from(surveys).where(eq(surveys.id, surveyId)).for('update');
    if (!conv || !survey || survey.status !== 'sent' || survey.remindedAt) return { done: 'no-reminder-needed' as const };
    const state = parseConversationState(conv.state);
    // Only while the rating question is still the open question: someone who moved on is not chased.
    const waiting = state.frame?.flow === SURVEY_FLOW && state.frame.step === SURVEY_RATE_STEP && Number(state.frame.data.surveyId) === surveyId;
    if (!waiting || conv.status === 'waiting' || conv.status === 'human' || (await hasPendingInbound(tx, conv.id))) {
      return { done: 'not-reminded-moved-on' as const };
    }
    const language: Language = state.language ?? (survey.language as Language | null) ?? deps.organisation.defaultLanguage;
    const outbound = await deps.runStep(tx, conv, state, { data: { surveyId, [SURVEY_REMINDER_VAR]: 'yes' }, language, now });
    await tx.update(surveys).set({ remindedAt: now }).where(eq(surveys.id, surveyId));
    return { done: 'reminded' as const, outbound };
  });
  for (const o of firstOfEachConversation(('outbound' in result && result.outbound) || [])) await deps.queues.enqueueSend(o);
  return { done: result.done };
}

async function expireSurvey(deps: SurveyJobDeps, surveyId: number): Promise<SurveyJobOutcome> {
  const [peek] = await deps.db.select().from(surveys).where(eq(surveys.id, surveyId)).limit(1);
  if (!peek || !peek.promptConversationId) return { done: 'nothing-to-expire' };
  return deps.db.transaction(async (tx) => {
    const [conv] = await tx.select().from(conversations).where(eq(conversations.id, peek.promptConversationId!)).for('update');
    const [survey] = await tx.select().from(surveys).where(eq(surveys.id, surveyId)).for('update');
    if (!survey) return { done: 'nothing-to-expire' };
    if (survey.status === 'sent') await tx.update(surveys).set({ status: 'expired' }).where(eq(surveys.id, surveyId));
    // A message days later must not be taken for a rating or a comment: the survey question leaves the chat.
    const state = conv ? parseConversationState(conv.state) : null;
    if (conv && state?.frame?.flow === SURVEY_FLOW && Number(state.frame.data.surveyId) === surveyId) {
      await tx.update(conversations).set({ state: { ...state, frame: null } }).where(eq(conversations.id, conv.id));
    }
    return { done: survey.status === 'sent' ? 'expired' : `kept-${survey.status}` };
  });
}

/**
 * A job's delay was computed to land outside quiet hours, but a job can still fire late — the clock jumped, the
 * machine slept, the workers were down through the evening — and then it must not ask at night: it waits for
 * the morning instead.
 */
function quietHoursWait(deps: SurveyJobDeps, now: Date): SurveyJobOutcome | null {
  const allowed = nextAllowedTime(now, deps.organisation.surveys, deps.organisation.timezone);
  return allowed.getTime() > now.getTime() ? { busy: 'quiet-hours', retryAt: allowed } : null;
}

async function skip(db: Db, surveyId: number, reason: string): Promise<SurveyJobOutcome> {
  await db.update(surveys).set({ status: 'skipped', skipReason: reason }).where(and(eq(surveys.id, surveyId), eq(surveys.status, 'scheduled')));
  return { done: `skipped-${reason}` };
}

/** The beneficiary's last-used channel: the contact of their most recently active conversation. */
async function promptTarget(db: Db, beneficiaryId: number) {
  const [latest] = await db
    .select({ contact: contacts, state: conversations.state, language: beneficiaries.language })
    .from(conversations)
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .innerJoin(beneficiaries, eq(beneficiaries.id, conversations.beneficiaryId))
    .where(eq(conversations.beneficiaryId, beneficiaryId))
    .orderBy(desc(conversations.updatedAt), desc(conversations.id))
    .limit(1);
  if (!latest) return null;
  const stateLanguage = parseConversationState(latest.state).language;
  const language: Language = stateLanguage ?? (latest.language === 'en' ? 'en' : 'ar');
  return { contact: latest.contact, language };
}

/**
 * The contact's open conversation, locked; a new one when the last was resolved, since the beneficiary's reply
 * lands in the open conversation (pipeline/ingest.ts) and must find the survey's question there.
 */
async function openConversationFor(tx: Tx, contact: typeof contacts.$inferSelect, language: Language, now: Date): Promise<ConversationRow> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const [open] = await tx
      .select()
      .from(conversations)
      .where(and(eq(conversations.contactId, contact.id), ne(conversations.status, 'resolved')))
      .for('update');
    if (open) return open;
    const [created] = await tx
      .insert(conversations)
      .values({ contactId: contact.id, beneficiaryId: contact.beneficiaryId, channel: contact.channel, state: { language }, updatedAt: now })
      .onConflictDoNothing()
      .returning();
    // Lost a race with an arriving message that opened one: lock that one instead.
    if (created) return created;
  }
  throw new Error(`could not open a conversation for contact ${contact.id}`);
}

/** Why now is not the moment, or null when the conversation is idle. */
async function busyReason(tx: Tx, conv: ConversationRow, state: ConversationState, flows: FlowCatalog): Promise<string | null> {
  if (conv.status === 'waiting' || conv.status === 'human') return `conversation-${conv.status}`;
  if (await hasPendingInbound(tx, conv.id)) return 'messages-pending';
  const frame = state.frame;
  // The main menu waiting at its first question is idle; any other frame is somebody in the middle of something.
  const menuStart = flows.get(MAIN_MENU_FLOW)?.flow.start;
  if (frame && !(frame.flow === MAIN_MENU_FLOW && frame.step === menuStart && frame.history.length === 0)) return `in-flow-${frame.flow}`;
  return null;
}

async function hasPendingInbound(tx: Tx, conversationId: number): Promise<boolean> {
  const rows = await tx
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, 'in'), eq(messages.status, 'received')))
    .limit(1);
  return rows.length > 0;
}

async function askedRecently(tx: Tx, survey: SurveyRow, now: Date, hours: number): Promise<boolean> {
  if (hours <= 0 || !survey.beneficiaryId) return false;
  const rows = await tx
    .select({ id: surveys.id })
    .from(surveys)
    .where(
      and(
        eq(surveys.beneficiaryId, survey.beneficiaryId),
        ne(surveys.id, survey.id),
        gt(surveys.sentAt, new Date(now.getTime() - hours * 3_600_000)),
      ),
    )
    .limit(1);
  return rows.length > 0;
}

async function assigneeOf(tx: Tx, conversationId: number | null): Promise<number | null> {
  if (!conversationId) return null;
  const [row] = await tx.select({ staffId: conversations.assigneeStaffId }).from(conversations).where(eq(conversations.id, conversationId));
  return row?.staffId ?? null;
}
