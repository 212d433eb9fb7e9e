/** `/api/beneficiaries`: search, the record (every view audited), revealing a national ID, off-line contacts, notes. */
import { z } from 'zod';
import type { ConversationOps } from '../../conversations/conversation-ops';
import { recordAudit } from '../../staff/record-audit';
import { offlineContactKinds, offlineContacts } from '../../store/schema';
import { idParams, type ApiRegistry } from '../api-route';
import { beneficiaryDetailSchema, beneficiarySearchResultSchema, getBeneficiaryDetail, sealedNationalId, searchBeneficiaries } from '../beneficiary-queries';
import type { ConsoleDeps } from '../console-deps';
import { NotFoundError } from '../console-errors';

export function registerBeneficiaryRoutes(api: ApiRegistry, deps: ConsoleDeps, ops: ConversationOps): void {
  api.add({
    method: 'GET',
    url: '/api/beneficiaries',
    summary: 'Search by name, mobile, reference number or national ID',
    tag: 'beneficiaries',
    query: z.object({ q: z.string().trim().min(2).max(100) }),
    response: z.object({ beneficiaries: z.array(beneficiarySearchResultSchema) }),
    handler: async ({ me, query }) => {
      const found = await searchBeneficiaries(deps.db, deps.sealer, query.q);
      // The query itself may be a national ID: record that a search happened, not what was searched.
      await recordAudit(deps.db, { staffId: me.id, action: 'beneficiary.search', subjectKind: 'beneficiary', subjectId: '-', details: { results: found.length } });
      return { beneficiaries: found };
    },
  });

  api.add({
    method: 'GET',
    url: '/api/beneficiaries/:id',
    summary: "A beneficiary's record: contacts, conversations, requests, off-line contacts, notes (ID masked)",
    tag: 'beneficiaries',
    params: idParams,
    response: beneficiaryDetailSchema,
    handler: async ({ me, params }) => {
      const detail = await getBeneficiaryDetail(deps.db, deps.sealer, params.id);
      await recordAudit(deps.db, { staffId: me.id, action: 'beneficiary.view', subjectKind: 'beneficiary', subjectId: params.id, beneficiaryId: params.id });
      return detail;
    },
  });

  api.add({
    method: 'POST',
    url: '/api/beneficiaries/:id/national-id/reveal',
    summary: 'Show the national ID in full (supervisors; audited)',
    tag: 'beneficiaries',
    role: 'supervisor',
    params: idParams,
    body: z.object({ reason: z.string().trim().max(300).optional() }).optional(),
    response: z.object({ nationalId: z.string().nullable() }),
    handler: async ({ me, params, body }) => {
      const sealed = await sealedNationalId(deps.db, params.id);
      await recordAudit(deps.db, {
        staffId: me.id,
        action: 'national-id.reveal',
        subjectKind: 'beneficiary',
        subjectId: params.id,
        beneficiaryId: params.id,
        details: { reason: body?.reason ?? null },
      });
      return { nationalId: sealed ? deps.sealer.open(sealed) : null };
    },
  });

  api.add({
    method: 'POST',
    url: '/api/beneficiaries/:id/offline-contacts',
    summary: "Log an interview, phone call, branch representative's visit or letter on the record",
    tag: 'beneficiaries',
    params: idParams,
    body: z.object({ kind: z.enum(offlineContactKinds), summary: z.string().trim().min(2).max(4000), occurredAt: z.iso.datetime({ offset: true }).optional() }),
    response: z.object({ id: z.number() }),
    status: 201,
    handler: async ({ me, params, body }) => {
      const row = await deps.db.transaction(async (tx) => {
        const [row] = await tx
          .insert(offlineContacts)
          .values({ beneficiaryId: params.id, staffId: me.id, kind: body.kind, summary: body.summary, occurredAt: body.occurredAt ? new Date(body.occurredAt) : new Date() })
          .returning({ id: offlineContacts.id })
          .catch((err: unknown) => {
            throw (err as { cause?: { code?: string } }).cause?.code === '23503' || (err as { code?: string }).code === '23503' ? new NotFoundError('beneficiary', params.id) : err;
          });
        await recordAudit(tx, { staffId: me.id, action: 'offline-contact.log', subjectKind: 'beneficiary', subjectId: params.id, beneficiaryId: params.id, details: { kind: body.kind, id: row!.id } });
        return row!;
      });
      return { id: row.id };
    },
  });

  api.add({
    method: 'POST',
    url: '/api/beneficiaries/:id/notes',
    summary: "An internal note on the beneficiary's record",
    tag: 'beneficiaries',
    params: idParams,
    body: z.object({ text: z.string().trim().min(1).max(4000) }),
    response: z.object({ id: z.number() }),
    status: 201,
    handler: async ({ me, params, body }) => ({ id: (await ops.addNote(me, { beneficiaryId: params.id }, body.text)).id }),
  });
}
