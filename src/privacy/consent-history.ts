/**
 * A beneficiary's consent records as staff read them: every answer, newest first, and the standing answer per
 * purpose (the newest row of each; rows are only ever added, privacy/consent-actions.ts).
 */
import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../store/database';
import { consentAnswers, consentPurposes, consents } from '../store/schema';

export const consentRecordSchema = z.object({
  id: z.number(),
  purpose: z.enum(consentPurposes),
  answer: z.enum(consentAnswers),
  /** The text exactly as the person saw it. */
  text: z.string(),
  template: z.string(),
  language: z.string(),
  channel: z.string().nullable(),
  at: z.string(),
});
export type ConsentRecord = z.infer<typeof consentRecordSchema>;

export async function consentHistory(db: DbOrTx, beneficiaryId: number): Promise<ConsentRecord[]> {
  const rows = await db.select().from(consents).where(eq(consents.beneficiaryId, beneficiaryId)).orderBy(desc(consents.at), desc(consents.id));
  return rows.map((c) => ({ id: c.id, purpose: c.purpose, answer: c.answer, text: c.text, template: c.template, language: c.language, channel: c.channel, at: c.at.toISOString() }));
}

/** The newest answer per purpose, from a history ordered newest first. */
export function standingConsents(history: readonly ConsentRecord[]): ConsentRecord[] {
  const seen = new Map<string, ConsentRecord>();
  for (const c of history) if (!seen.has(c.purpose)) seen.set(c.purpose, c);
  return consentPurposes.flatMap((p) => seen.get(p) ?? []);
}

/** The standing answer for one purpose (its newest row), or null when the person was never asked. */
export async function standingConsent(db: DbOrTx, beneficiaryId: number, purpose: (typeof consentPurposes)[number]): Promise<(typeof consentAnswers)[number] | null> {
  const [row] = await db
    .select({ answer: consents.answer })
    .from(consents)
    .where(and(eq(consents.beneficiaryId, beneficiaryId), eq(consents.purpose, purpose)))
    .orderBy(desc(consents.at), desc(consents.id))
    .limit(1);
  return row?.answer ?? null;
}
