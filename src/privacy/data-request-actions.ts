/**
 * `privacy.open-request`: a beneficiary asked, on whatever channel they use, for a copy of their data or its
 * deletion. The bot never answers such a request itself (the person's identity and the legal hold need a human
 * eye): it opens a task for staff, audited, and tells the person its number. One open task per kind at a time.
 */
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { ActionHandler } from '../engine/action-context';
import { recordAudit } from '../staff/record-audit';
import { dataRequestKinds, dataRequests } from '../store/schema';

const kindSchema = z.enum(dataRequestKinds);

export const formatDataRequestNumber = (id: number) => `DR-${id}`;

export const createDataRequest: ActionHandler = async (ctx, call) => {
  const kind = kindSchema.safeParse(call.frame.data.dataRequestKind);
  if (!kind.success) throw new Error(`privacy.open-request in flow "${call.flow.id}" needs \`dataRequestKind\` set to one of ${dataRequestKinds.join(', ')}`);
  const [open] = await ctx.tx
    .select({ id: dataRequests.id })
    .from(dataRequests)
    .where(and(eq(dataRequests.beneficiaryId, ctx.beneficiaryId), eq(dataRequests.kind, kind.data), eq(dataRequests.status, 'open')))
    .limit(1);
  if (open) return { outcome: 'already-open', outputs: { dataRequestNumber: formatDataRequestNumber(open.id) } };
  const [created] = await ctx.tx
    .insert(dataRequests)
    .values({ beneficiaryId: ctx.beneficiaryId, contactId: ctx.contactId, conversationId: ctx.conversationId, kind: kind.data, channel: ctx.channel, createdAt: ctx.now })
    .returning({ id: dataRequests.id });
  await recordAudit(ctx.tx, {
    staffId: null,
    action: 'data-request.create',
    subjectKind: 'data-request',
    subjectId: created!.id,
    beneficiaryId: ctx.beneficiaryId,
    details: { kind: kind.data, channel: ctx.channel, contactId: ctx.contactId },
  });
  return { outcome: 'recorded', outputs: { dataRequestNumber: formatDataRequestNumber(created!.id) } };
};
