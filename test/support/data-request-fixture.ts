/**
 * One beneficiary with everything the data-request pages show: a hostile name and message (markup and an RTL
 * override), consents with a history (granted, then surveys withdrawn), a request still under study (held by an
 * erasure) and a decided one, and one open data request of each kind — the copy 40 days old, so past the 30-day
 * due date. Rows are inserted as the pipeline writes them; the pages under test read them back.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/store/database';
import { beneficiaries, consents, contacts, conversations, dataRequests, messages, requests } from '../../src/store/schema';

export const HOSTILE_NAME = '<img src=x onerror=alert(1)> \u202Eنورة';
export const HOSTILE_ASK = 'ابي نسخة من بياناتي <script>alert(2)</script> \u202Egnp.exe';
export const ATTESTATION_TEXT = 'أقر بصحة البيانات وأوافق على أن تستخدم بياناتي لدراسة طلبي';
const DAY = 24 * 3600 * 1000;

export interface DataRequestFixture {
  beneficiaryId: number;
  contactId: number;
  conversationId: number;
  heldReference: string;
  decidedReference: string;
  copyId: number;
  correctionId: number;
  deletionId: number;
}

export async function seedDataRequests(db: Db, now = new Date()): Promise<DataRequestFixture> {
  const tag = randomUUID().slice(0, 8);
  const [b] = await db.insert(beneficiaries).values({ fullName: HOSTILE_NAME, mobile: '+966551234567' }).returning();
  const beneficiaryId = b!.id;
  const [c] = await db.insert(contacts).values({ beneficiaryId, channel: 'cli', channelUserId: `dr-${tag}`, lastSeenAt: now }).returning();
  const [conv] = await db.insert(conversations).values({ contactId: c!.id, beneficiaryId, channel: 'cli', status: 'bot' }).returning();
  const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY);
  await db.insert(messages).values({ conversationId: conv!.id, direction: 'in', channel: 'cli', author: 'beneficiary', text: HOSTILE_ASK, status: 'processed', createdAt: at(40) });
  const request = async (status: 'submitted' | 'served', ref: string) =>
    db.insert(requests).values({ referenceNumber: ref, beneficiaryId, contactId: c!.id, type: 'food-basket', status, answers: { name: 'نورة' }, nationalIdSealed: 'x', nationalIdHash: `h-${ref}`, attestation: {} });
  const heldReference = `REQ-H${tag}`;
  const decidedReference = `REQ-D${tag}`;
  await request('submitted', heldReference);
  await request('served', decidedReference);
  const consent = (purpose: 'application-processing' | 'committee-review' | 'surveys', answer: 'granted' | 'withdrawn', text: string, daysAgo: number) => ({
    beneficiaryId,
    contactId: c!.id,
    purpose,
    answer,
    template: purpose === 'surveys' ? 'survey.option-opt-out' : 'intake.attestation',
    text,
    language: 'ar',
    channel: 'cli',
    at: at(daysAgo),
  });
  await db.insert(consents).values([
    consent('application-processing', 'granted', ATTESTATION_TEXT, 50),
    consent('committee-review', 'granted', ATTESTATION_TEXT, 50),
    consent('surveys', 'withdrawn', 'لا أرغب في استبيانات أخرى', 45),
  ]);
  const open = async (kind: 'copy' | 'correction' | 'deletion', daysAgo: number) =>
    (await db.insert(dataRequests).values({ beneficiaryId, contactId: c!.id, conversationId: conv!.id, kind, channel: 'cli', createdAt: at(daysAgo) }).returning())[0]!.id;
  return {
    beneficiaryId,
    contactId: c!.id,
    conversationId: conv!.id,
    heldReference,
    decidedReference,
    copyId: await open('copy', 40),
    correctionId: await open('correction', 3),
    deletionId: await open('deletion', 1),
  };
}
