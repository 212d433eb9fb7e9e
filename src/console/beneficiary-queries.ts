/** A beneficiary's record as staff see it, and the search staff use to find one (name, phone, reference, ID). */
import { and, asc, desc, eq, ilike, inArray, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Sealer } from '../identity/sealed-value';
import { parseSaudiMobile } from '../identity/saudi-mobile';
import type { Db } from '../store/database';
import { beneficiaries, contacts, conversations, notes, offlineContacts, offlineContactKinds, requests, staff } from '../store/schema';
import { toAsciiDigits } from '../text/ascii-digits';
import { toStorableText } from '../text/storable-text';
import { NotFoundError } from './console-errors';
import { maskNationalId } from './mask-national-id';
import { consentHistory, consentRecordSchema } from '../privacy/consent-history';

export const beneficiaryDetailSchema = z.object({
  id: z.number(),
  fullName: z.string().nullable(),
  mobile: z.string().nullable(),
  language: z.string(),
  nationalIdMasked: z.string(),
  contacts: z.array(z.object({ channel: z.string(), displayName: z.string().nullable(), lastSeenAt: z.string(), optedOut: z.boolean() })),
  conversations: z.array(z.object({ id: z.number(), channel: z.string(), status: z.string(), createdAt: z.string() })),
  requests: z.array(z.object({ id: z.number(), referenceNumber: z.string(), type: z.string(), status: z.string(), dueDate: z.string().nullable() })),
  offlineContacts: z.array(z.object({ id: z.number(), kind: z.enum(offlineContactKinds), summary: z.string(), occurredAt: z.string(), staffName: z.string() })),
  notes: z.array(z.object({ id: z.number(), text: z.string(), staffName: z.string(), at: z.string() })),
  /** Every consent answer, newest first (the standing one per purpose is the newest of it). */
  consents: z.array(consentRecordSchema),
});
export type BeneficiaryDetail = z.infer<typeof beneficiaryDetailSchema>;

/** The sealed ID on the record, or the one given with the latest request. */
export async function sealedNationalId(db: Db, beneficiaryId: number): Promise<string | null> {
  const [b] = await db.select({ sealed: beneficiaries.nationalIdSealed }).from(beneficiaries).where(eq(beneficiaries.id, beneficiaryId));
  if (!b) throw new NotFoundError('beneficiary', beneficiaryId);
  if (b.sealed) return b.sealed;
  const [r] = await db.select({ sealed: requests.nationalIdSealed }).from(requests).where(eq(requests.beneficiaryId, beneficiaryId)).orderBy(desc(requests.id)).limit(1);
  return r?.sealed ?? null;
}

export async function getBeneficiaryDetail(db: Db, sealer: Sealer, id: number): Promise<BeneficiaryDetail> {
  const [b] = await db.select().from(beneficiaries).where(eq(beneficiaries.id, id));
  if (!b) throw new NotFoundError('beneficiary', id);
  const [contactRows, convRows, requestRows, offline, noteRows, sealed, consentRows] = await Promise.all([
    db.select().from(contacts).where(eq(contacts.beneficiaryId, id)).orderBy(desc(contacts.lastSeenAt)),
    db.select().from(conversations).where(eq(conversations.beneficiaryId, id)).orderBy(desc(conversations.id)).limit(50),
    db.select().from(requests).where(eq(requests.beneficiaryId, id)).orderBy(desc(requests.id)),
    db
      .select({ o: offlineContacts, staffName: staff.name })
      .from(offlineContacts)
      .innerJoin(staff, eq(staff.id, offlineContacts.staffId))
      .where(eq(offlineContacts.beneficiaryId, id))
      .orderBy(desc(offlineContacts.occurredAt)),
    db.select({ n: notes, staffName: staff.name }).from(notes).innerJoin(staff, eq(staff.id, notes.staffId)).where(eq(notes.beneficiaryId, id)).orderBy(asc(notes.createdAt)),
    sealedNationalId(db, id),
    consentHistory(db, id),
  ]);
  const answeredName = requestRows.map((r) => (r.answers as Record<string, unknown>).name).find((n): n is string => typeof n === 'string');
  return {
    id: b.id,
    fullName: b.fullName ?? answeredName ?? null,
    mobile: b.mobile,
    language: b.language,
    nationalIdMasked: maskNationalId(sealer, sealed),
    contacts: contactRows.map((c) => ({ channel: c.channel, displayName: c.displayName, lastSeenAt: c.lastSeenAt.toISOString(), optedOut: c.optedOut })),
    conversations: convRows.map((c) => ({ id: c.id, channel: c.channel, status: c.status, createdAt: c.createdAt.toISOString() })),
    requests: requestRows.map((r) => ({ id: r.id, referenceNumber: r.referenceNumber, type: r.type, status: r.status, dueDate: r.dueDate })),
    offlineContacts: offline.map(({ o, staffName }) => ({ id: o.id, kind: o.kind, summary: o.summary, occurredAt: o.occurredAt.toISOString(), staffName })),
    notes: noteRows.map(({ n, staffName }) => ({ id: n.id, text: n.text, staffName, at: n.createdAt.toISOString() })),
    consents: consentRows,
  };
}

export const beneficiarySearchResultSchema = z.object({ id: z.number(), fullName: z.string().nullable(), mobile: z.string().nullable(), matchedBy: z.string() });

/** Finds beneficiaries by reference number, national ID (through its keyed hash), mobile or name. */
export async function searchBeneficiaries(db: Db, sealer: Sealer, raw: string): Promise<z.infer<typeof beneficiarySearchResultSchema>[]> {
  // What staff type (or paste) is matched against stored text, which never holds a NUL: one in the query
  // made PostgreSQL refuse it, and the search page answered 500.
  const q = toAsciiDigits(toStorableText(raw).trim());
  const ids = new Map<number, string>();
  const ref = /^REQ-?\d+$/i.test(q) ? q.toUpperCase().replace(/^REQ-?/, 'REQ-') : null;
  if (ref) {
    for (const r of await db.select({ id: requests.beneficiaryId }).from(requests).where(eq(requests.referenceNumber, ref))) ids.set(r.id, 'reference');
  }
  if (/^[12]\d{9}$/.test(q)) {
    const h = sealer.hash(q);
    const byId = await db
      .select({ id: beneficiaries.id })
      .from(beneficiaries)
      .where(eq(beneficiaries.nationalIdHash, h))
      .union(db.select({ id: requests.beneficiaryId }).from(requests).where(eq(requests.nationalIdHash, h)));
    for (const r of byId) ids.set(r.id, 'national-id');
  }
  const mobile = parseSaudiMobile(q);
  if (mobile) {
    const byMobile = await db
      .select({ id: beneficiaries.id })
      .from(beneficiaries)
      .where(eq(beneficiaries.mobile, mobile))
      .union(db.select({ id: contacts.beneficiaryId }).from(contacts).where(eq(contacts.verifiedMobile, mobile)));
    for (const r of byMobile) if (!ids.has(r.id)) ids.set(r.id, 'mobile');
  }
  if (q.length >= 2 && !ref) {
    const pattern = `%${q.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
    const byName = await db
      .select({ id: beneficiaries.id })
      .from(beneficiaries)
      .where(or(ilike(beneficiaries.fullName, pattern)))
      .union(db.select({ id: requests.beneficiaryId }).from(requests).where(sql`${requests.answers}->>'name' ilike ${pattern}`))
      .union(db.select({ id: contacts.beneficiaryId }).from(contacts).where(ilike(contacts.displayName, pattern)))
      .limit(50);
    for (const r of byName) if (!ids.has(r.id)) ids.set(r.id, 'name');
  }
  if (ids.size === 0) return [];
  const rows = await db.select().from(beneficiaries).where(inArray(beneficiaries.id, [...ids.keys()]));
  const names = await db
    .select({ id: requests.beneficiaryId, name: sql<string | null>`${requests.answers}->>'name'` })
    .from(requests)
    .where(and(inArray(requests.beneficiaryId, [...ids.keys()])));
  return rows.map((b) => ({
    id: b.id,
    fullName: b.fullName ?? names.find((n) => n.id === b.id && n.name)?.name ?? null,
    mobile: b.mobile,
    matchedBy: ids.get(b.id)!,
  }));
}
