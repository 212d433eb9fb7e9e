/**
 * The audit trail: who did what, when, to which beneficiary — including who only *looked* at a beneficiary's
 * record or documents. Written in the same transaction as the change it records when there is one.
 */
import { z } from 'zod';
import type { DbOrTx } from '../store/database';
import { auditLog } from '../store/schema';

export const auditEntrySchema = z.object({
  staffId: z.number().int().nullable(),
  /** `noun.verb` such as `conversation.claim`, `beneficiary.view`, `national-id.reveal`. */
  action: z.string().regex(/^[a-z-]+\.[a-z-]+$/),
  subjectKind: z.enum(['conversation', 'request', 'beneficiary', 'document', 'staff', 'session', 'api-token', 'follow-up-task', 'channel', 'data-request', 'retention']),
  subjectId: z.union([z.string(), z.number()]).transform(String),
  beneficiaryId: z.number().int().nullable().default(null),
  details: z.record(z.string(), z.unknown()).default({}),
});
export type AuditEntry = z.input<typeof auditEntrySchema>;

export async function recordAudit(db: DbOrTx, entry: AuditEntry): Promise<void> {
  const e = auditEntrySchema.parse(entry);
  await db.insert(auditLog).values(e);
}
