/**
 * Flow actions on support requests: submit one (policy steps 4–6), look one up (status on demand), check the
 * identity of someone asking about a request that is not theirs, and attach documents.
 */
import { timingSafeEqual } from 'node:crypto';
import { and, desc, eq, gt, sql } from 'drizzle-orm';
import type { ActionContext, ActionHandler } from '../engine/action-context';
import type { ActionResult } from '../engine/run-turn';
import { formatGregorian, formatHijri } from '../templating/format-date';
import type { Language } from '../templating/template-catalog';
import { auditLog, beneficiaries, requestDocuments, requestReferenceSeq, requests, requestStatusHistory } from '../store/schema';
import { formatReferenceNumber } from './reference-number';
import { executeRows } from '../store/execute-rows';

/** Wrong last-four-digit answers allowed per request (across all conversations) before lookups by others stop. */
export const MAX_IDENTITY_FAILURES = 5;
/** And per contact within a day, so one person cannot walk through many requests or restart the flow to retry. */
const MAX_IDENTITY_FAILURES_PER_CONTACT = 3;
const CONTACT_WINDOW_MS = 24 * 3600 * 1000;

type RequestRow = typeof requests.$inferSelect;

function decisionDates(ctx: ActionContext, due: string | null, lang: Language): Record<string, string> {
  if (!due) return {};
  const date = new Date(`${due}T12:00:00Z`);
  return {
    decisionDateHijri: formatHijri(date, lang, ctx.organisation.timezone),
    decisionDateGregorian: formatGregorian(date, lang, ctx.organisation.timezone),
  };
}

function statusOutputs(ctx: ActionContext, r: RequestRow, lang: Language): Record<string, string> {
  return {
    referenceNumber: r.referenceNumber,
    statusLabel: ctx.renderer.text(`status.${r.status}`, lang, ctx.channel),
    statusDate: formatGregorian(r.updatedAt, lang, ctx.organisation.timezone),
    ...decisionDates(ctx, r.dueDate, lang),
  };
}

export const createRequest: ActionHandler = async (ctx, call) => {
  const { frame, language } = call;
  const d = frame.data;
  if (d.attestation !== 'agree') return { outcome: 'not-attested' };
  const sealedId = frame.sealed.nationalId;
  if (!sealedId) throw new Error('requests.create needs the answer "nationalId" (a national-id question) in the same flow');
  const nationalId = ctx.sealer.open(sealedId);
  const type = String(d.requestType ?? 'other');
  const documents = ctx.organisation.requestTypes.find((t) => t.id === type)?.documents ?? [];
  const committee = ctx.organisation.committee;
  const dueDate = committee.enabled ? ctx.calendar.localDate(ctx.calendar.decisionDate(ctx.now)) : null;
  const attestationTemplate = String(call.args.attestationTemplate ?? '');
  if (!attestationTemplate) throw new Error('requests.create needs `with: { attestationTemplate }` naming the text the applicant accepted');

  // The sequence value arrives as text (bigint).
  const [next] = await executeRows<{ value: string }>(ctx.tx, sql`select nextval(${requestReferenceSeq.seqName}) as value`);
  const referenceNumber = formatReferenceNumber(Number(next!.value));
  // The answers are what the review step showed the applicant — not the flow's control variables — and never
  // a sealed value in clear.
  const reviewed = Object.values(call.flow.steps).flatMap((s) => (s.type === 'review' ? s.fields.map((f) => f.var) : []));
  const answers = Object.fromEntries(reviewed.filter((v) => d[v] !== undefined && !frame.sealed[v]).map((v) => [v, d[v]]));
  const [created] = await ctx.tx
    .insert(requests)
    .values({
      referenceNumber,
      beneficiaryId: ctx.beneficiaryId,
      contactId: ctx.contactId,
      conversationId: ctx.conversationId,
      type,
      answers: { ...answers, nationalIdMasked: d.nationalId },
      nationalIdSealed: sealedId,
      nationalIdHash: ctx.sealer.hash(nationalId),
      // Policy step 4: the exact declaration as the applicant saw it, when, and where.
      attestation: {
        text: ctx.renderer.text(attestationTemplate, language, ctx.channel),
        template: attestationTemplate,
        language,
        channel: ctx.channel,
        messageId: ctx.messageId,
        at: ctx.now.toISOString(),
      },
      dueDate,
      documentsRequired: documents,
      submittedAt: ctx.now,
      updatedAt: ctx.now,
    })
    .returning();
  await ctx.tx.insert(requestStatusHistory).values({ requestId: created!.id, fromStatus: null, toStatus: 'submitted', reason: 'submitted by the beneficiary', at: ctx.now });
  await ctx.tx
    .update(beneficiaries)
    .set({
      fullName: String(d.name ?? ''),
      mobile: typeof d.mobile === 'string' ? d.mobile : null,
      nationalIdSealed: sealedId,
      nationalIdHash: ctx.sealer.hash(nationalId),
      language,
    })
    .where(eq(beneficiaries.id, ctx.beneficiaryId));

  const bullet = language === 'ar' ? '• ' : '• ';
  return {
    outcome: 'created',
    outputs: {
      referenceNumber,
      decisionDays: committee.decisionDays,
      documentsCount: documents.length,
      documentsList: documents.map((doc) => bullet + ctx.renderer.text(`documents.${doc}`, language, ctx.channel)).join('\n'),
      ...decisionDates(ctx, dueDate, language),
    },
  };
};

export const findRequest: ActionHandler = async (ctx, call): Promise<ActionResult> => {
  const reference = call.frame.data.reference;
  const lang = call.language;
  if (reference === undefined || reference === 'mine') {
    const mine = await ctx.tx
      .select()
      .from(requests)
      .where(eq(requests.beneficiaryId, ctx.beneficiaryId))
      .orderBy(desc(requests.submittedAt))
      .limit(10);
    if (mine.length === 0) return { outcome: 'none', outputs: { requestsCount: 0 } };
    const lines = mine.map((r) => {
      const o = statusOutputs(ctx, r, lang);
      return ctx.renderer.text('status.list-line', lang, ctx.channel, { referenceNumber: r.referenceNumber, statusLabel: o.statusLabel!, statusDate: o.statusDate! });
    });
    return { outcome: 'list', outputs: { requestsList: lines.join('\n'), requestsCount: mine.length } };
  }
  const [request] = await ctx.tx.select().from(requests).where(eq(requests.referenceNumber, String(reference))).limit(1);
  if (!request) return { outcome: 'not-found', outputs: { referenceNumber: String(reference) } };
  if (request.beneficiaryId === ctx.beneficiaryId) return { outcome: 'found', outputs: statusOutputs(ctx, request, lang) };
  return { outcome: 'needs-identity', outputs: { referenceNumber: request.referenceNumber } };
};

export const verifyIdentity: ActionHandler = async (ctx, call): Promise<ActionResult> => {
  const { frame, language } = call;
  const [request] = await ctx.tx.select().from(requests).where(eq(requests.referenceNumber, String(frame.data.reference ?? ''))).limit(1);
  const sealedDigits = frame.sealed.idLast4;
  // An anonymised request (retention, erasure) keeps no ID to compare with.
  if (!request || !sealedDigits || !request.nationalIdSealed) return { outcome: 'failed', outputs: { attemptsLeft: 0 } };
  const [{ recent }] = (await ctx.tx
    .select({ recent: sql<number>`count(*)::int` })
    .from(auditLog)
    .where(
      and(
        eq(auditLog.action, 'request.identity-failed'),
        sql`${auditLog.details}->>'contactId' = ${String(ctx.contactId)}`,
        gt(auditLog.at, new Date(ctx.now.getTime() - CONTACT_WINDOW_MS)),
      ),
    )) as [{ recent: number }];
  if (request.identityFailures >= MAX_IDENTITY_FAILURES || recent >= MAX_IDENTITY_FAILURES_PER_CONTACT) {
    return { outcome: 'locked' };
  }
  const expected = Buffer.from(ctx.sealer.open(request.nationalIdSealed).slice(-4));
  const given = Buffer.from(ctx.sealer.open(sealedDigits));
  const match = expected.length === given.length && timingSafeEqual(expected, given);
  await ctx.tx.insert(auditLog).values({
    action: match ? 'request.identity-verified' : 'request.identity-failed',
    subjectKind: 'request',
    subjectId: String(request.id),
    beneficiaryId: request.beneficiaryId,
    details: { conversationId: ctx.conversationId, contactId: String(ctx.contactId), channel: ctx.channel },
    at: ctx.now,
  });
  if (match) return { outcome: 'verified', outputs: statusOutputs(ctx, request, language) };
  const [updated] = await ctx.tx
    .update(requests)
    .set({ identityFailures: sql`${requests.identityFailures} + 1` })
    .where(eq(requests.id, request.id))
    .returning({ failures: requests.identityFailures });
  const left = Math.min(MAX_IDENTITY_FAILURES - updated!.failures, MAX_IDENTITY_FAILURES_PER_CONTACT - (recent + 1));
  if (left <= 0) return { outcome: 'locked' };
  return { outcome: 'failed', outputs: { attemptsLeft: left } };
};

export const addDocument: ActionHandler = async (ctx, call) => {
  const { frame } = call;
  const reference = frame.data.referenceNumber ?? frame.data.reference;
  const file = frame.files.document;
  if (!reference || !file) return { outcome: 'no-request' };
  const [request] = await ctx.tx
    .select({ id: requests.id })
    .from(requests)
    .where(and(eq(requests.referenceNumber, String(reference)), eq(requests.beneficiaryId, ctx.beneficiaryId)))
    .limit(1);
  if (!request) return { outcome: 'no-request' };
  await ctx.tx.insert(requestDocuments).values({
    requestId: request.id,
    messageId: ctx.messageId,
    fileName: file.fileName,
    mimeType: file.mimeType,
    sizeBytes: file.sizeBytes,
    storageKey: file.storageKey,
  });
  const [{ count }] = (await ctx.tx.select({ count: sql<number>`count(*)::int` }).from(requestDocuments).where(eq(requestDocuments.requestId, request.id))) as [
    { count: number },
  ];
  delete frame.files.document;
  return { outcome: 'added', outputs: { documentsReceived: count } };
};
