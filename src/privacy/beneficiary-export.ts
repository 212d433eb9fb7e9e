/**
 * A copy of everything Wasl holds about one beneficiary, across all their contacts and channels (PDPL right of
 * access): messages, requests with their answers and status history, the list of documents, consents, surveys,
 * volunteer sign-ups, off-line contacts, notes and data requests. Generated for staff, who send it to the
 * person once their identity is checked. The national ID stays masked: it is the person's own, but an export
 * travels over chat or mail, and the full number is shown at the office on request.
 */
import { asc, eq, inArray } from 'drizzle-orm';
import type { Sealer } from '../identity/sealed-value';
import { maskNationalId } from '../console/mask-national-id';
import type { DbOrTx } from '../store/database';
import {
  beneficiaries,
  consents,
  contacts,
  conversations,
  dataRequests,
  messages,
  notes,
  offlineContacts,
  requestDocuments,
  requests,
  requestStatusHistory,
  surveys,
  volunteers,
} from '../store/schema';

export async function exportBeneficiary(db: DbOrTx, sealer: Sealer, beneficiaryId: number, now: Date) {
  const [person] = await db.select().from(beneficiaries).where(eq(beneficiaries.id, beneficiaryId));
  if (!person) return null;
  const contactRows = await db.select().from(contacts).where(eq(contacts.beneficiaryId, beneficiaryId)).orderBy(asc(contacts.id));
  const contactIds = contactRows.map((c) => c.id);
  const conversationRows = await db.select().from(conversations).where(eq(conversations.beneficiaryId, beneficiaryId)).orderBy(asc(conversations.id));
  const conversationIds = conversationRows.map((c) => c.id);
  const messageRows = conversationIds.length
    ? await db.select().from(messages).where(inArray(messages.conversationId, conversationIds)).orderBy(asc(messages.id))
    : [];
  const requestRows = await db.select().from(requests).where(eq(requests.beneficiaryId, beneficiaryId)).orderBy(asc(requests.id));
  const requestIds = requestRows.map((r) => r.id);
  const history = requestIds.length ? await db.select().from(requestStatusHistory).where(inArray(requestStatusHistory.requestId, requestIds)).orderBy(asc(requestStatusHistory.id)) : [];
  const documents = requestIds.length ? await db.select().from(requestDocuments).where(inArray(requestDocuments.requestId, requestIds)).orderBy(asc(requestDocuments.id)) : [];
  const referenceOf = new Map(requestRows.map((r) => [r.id, r.referenceNumber]));
  const volunteerRows = contactIds.length ? await db.select().from(volunteers).where(inArray(volunteers.contactId, contactIds)) : [];

  return {
    format: 'wasl-beneficiary-export/1',
    exportedAt: now.toISOString(),
    beneficiary: {
      id: person.id,
      fullName: person.fullName,
      nationalId: maskNationalId(sealer, person.nationalIdSealed) || null,
      mobile: person.mobile,
      language: person.language,
      surveyOptOut: person.surveyOptOut,
      createdAt: person.createdAt,
      erasedAt: person.erasedAt,
    },
    contacts: contactRows.map((c) => ({ channel: c.channel, channelUserId: c.channelUserId, displayName: c.displayName, verifiedMobile: c.verifiedMobile, optedOut: c.optedOut, createdAt: c.createdAt, lastSeenAt: c.lastSeenAt })),
    conversations: conversationRows.map((c) => ({ id: c.id, channel: c.channel, status: c.status, createdAt: c.createdAt, resolvedAt: c.resolvedAt })),
    messages: messageRows.map((m) => ({ conversationId: m.conversationId, direction: m.direction, author: m.author, channel: m.channel, text: m.text, at: m.createdAt })),
    requests: requestRows.map((r) => ({
      referenceNumber: r.referenceNumber,
      type: r.type,
      status: r.status,
      answers: r.answers,
      attestation: r.attestation,
      dueDate: r.dueDate,
      submittedAt: r.submittedAt,
      history: history.filter((h) => h.requestId === r.id).map((h) => ({ from: h.fromStatus, to: h.toStatus, reason: h.reason, at: h.at })),
    })),
    documents: documents.map((d) => ({ request: referenceOf.get(d.requestId), fileName: d.fileName, mimeType: d.mimeType, sizeBytes: d.sizeBytes, receivedAt: d.createdAt })),
    consents: (await db.select().from(consents).where(eq(consents.beneficiaryId, beneficiaryId)).orderBy(asc(consents.id))).map((c) => ({
      purpose: c.purpose,
      answer: c.answer,
      text: c.text,
      template: c.template,
      language: c.language,
      channel: c.channel,
      at: c.at,
    })),
    // Who served is left out: ratings are never tied to a named researcher outside the supervisors' view.
    surveys: (await db.select().from(surveys).where(eq(surveys.beneficiaryId, beneficiaryId)).orderBy(asc(surveys.id))).map((s) => ({
      trigger: s.trigger,
      status: s.status,
      score: s.score,
      comment: s.comment,
      sentAt: s.sentAt,
      answeredAt: s.answeredAt,
    })),
    volunteering: volunteerRows.map((v) => ({ name: v.name, mobile: v.mobile, city: v.city, skills: v.skills, availability: v.availability, createdAt: v.createdAt })),
    offlineContacts: (await db.select().from(offlineContacts).where(eq(offlineContacts.beneficiaryId, beneficiaryId)).orderBy(asc(offlineContacts.id))).map((o) => ({ kind: o.kind, summary: o.summary, occurredAt: o.occurredAt })),
    notes: (await db.select().from(notes).where(eq(notes.beneficiaryId, beneficiaryId)).orderBy(asc(notes.id))).map((n) => ({ text: n.text, at: n.createdAt })),
    dataRequests: (await db.select().from(dataRequests).where(eq(dataRequests.beneficiaryId, beneficiaryId)).orderBy(asc(dataRequests.id))).map((d) => ({ kind: d.kind, status: d.status, channel: d.channel, createdAt: d.createdAt, completedAt: d.completedAt })),
  };
}

export type BeneficiaryExport = NonNullable<Awaited<ReturnType<typeof exportBeneficiary>>>;
