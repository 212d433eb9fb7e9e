/**
 * `/api/staff`, `/api/audit`, `/api/me/api-tokens`. Per-staff ratings and other people's audit trail are for
 * supervisors only (policy practice 3: ratings improve the service, they are not for punishment).
 */
import { and, avg, count, desc, eq, isNotNull, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { createApiToken, revokeApiToken } from '../../staff/api-tokens';
import { recordAudit } from '../../staff/record-audit';
import { createStaff, newStaffSchema } from '../../staff/staff-repo';
import { hasRole } from '../../staff/staff-roles';
import { auditLog, conversations, staff, surveys } from '../../store/schema';
import { idParams, type ApiRegistry } from '../api-route';
import type { ConsoleDeps } from '../console-deps';
import { ForbiddenError } from '../console-errors';

export function registerStaffRoutes(api: ApiRegistry, deps: ConsoleDeps): void {
  api.add({
    method: 'GET',
    url: '/api/staff',
    summary: 'Colleagues (for transfers): role, team, gender, chats held and caseload limit',
    tag: 'staff',
    response: z.object({
      staff: z.array(z.object({ id: z.number(), name: z.string(), role: z.string(), team: z.string().nullable(), gender: z.string().nullable(), held: z.number(), caseloadLimit: z.number(), onDuty: z.boolean() })),
    }),
    handler: async () => {
      const rows = await deps.db.select().from(staff).where(eq(staff.active, true)).orderBy(staff.name);
      const held = await deps.db
        .select({ id: conversations.assigneeStaffId, n: count() })
        .from(conversations)
        .where(eq(conversations.status, 'human'))
        .groupBy(conversations.assigneeStaffId);
      return {
        staff: rows.map((s) => ({ id: s.id, name: s.name, role: s.role, team: s.team, gender: s.gender, held: held.find((h) => h.id === s.id)?.n ?? 0, caseloadLimit: s.caseloadLimit, onDuty: s.onDuty })),
      };
    },
  });

  api.add({
    method: 'POST',
    url: '/api/staff',
    summary: 'Create a staff account (admins)',
    tag: 'staff',
    role: 'admin',
    body: newStaffSchema,
    response: z.object({ id: z.number() }),
    status: 201,
    handler: async ({ me, body }) => {
      const row = await createStaff(deps.db, body);
      await recordAudit(deps.db, { staffId: me.id, action: 'staff.create', subjectKind: 'staff', subjectId: row.id, details: { role: row.role } });
      return { id: row.id };
    },
  });

  api.add({
    method: 'GET',
    url: '/api/staff/ratings',
    summary: 'Satisfaction per staff member (supervisors only)',
    tag: 'staff',
    role: 'supervisor',
    response: z.object({ ratings: z.array(z.object({ staffId: z.number(), name: z.string(), answered: z.number(), averageScore: z.number().nullable() })) }),
    handler: async ({ me }) => {
      const rows = await deps.db
        .select({ staffId: staff.id, name: staff.name, answered: count(surveys.score), averageScore: avg(surveys.score) })
        .from(staff)
        .leftJoin(surveys, and(eq(surveys.staffId, staff.id), isNotNull(surveys.score)))
        .groupBy(staff.id, staff.name)
        .orderBy(staff.name);
      await recordAudit(deps.db, { staffId: me.id, action: 'ratings.view', subjectKind: 'staff', subjectId: '-' });
      return { ratings: rows.map((r) => ({ ...r, averageScore: r.averageScore === null ? null : Number(r.averageScore) })) };
    },
  });

  api.add({
    method: 'GET',
    url: '/api/audit',
    summary: "The audit trail; researchers see only their own actions",
    tag: 'staff',
    query: z.object({ staffId: z.coerce.number().int().optional(), beneficiaryId: z.coerce.number().int().optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
    response: z.object({ entries: z.array(z.object({ id: z.number(), staffId: z.number().nullable(), action: z.string(), subjectKind: z.string(), subjectId: z.string(), beneficiaryId: z.number().nullable(), at: z.string() })) }),
    handler: async ({ me, query }) => {
      const supervisor = hasRole(me.role, 'supervisor');
      if (!supervisor && query.staffId !== undefined && query.staffId !== me.id) throw new ForbiddenError("only supervisors see other staff members' audit trail");
      const where: SQL[] = [];
      const staffId = supervisor ? query.staffId : me.id;
      if (staffId !== undefined) where.push(eq(auditLog.staffId, staffId));
      if (query.beneficiaryId !== undefined) where.push(eq(auditLog.beneficiaryId, query.beneficiaryId));
      const rows = await deps.db.select().from(auditLog).where(and(...where)).orderBy(desc(auditLog.id)).limit(query.limit);
      return { entries: rows.map((r) => ({ id: r.id, staffId: r.staffId, action: r.action, subjectKind: r.subjectKind, subjectId: r.subjectId, beneficiaryId: r.beneficiaryId, at: r.at.toISOString() })) };
    },
  });

  api.add({
    method: 'POST',
    url: '/api/me/api-tokens',
    summary: 'Create an API token acting as you (shown once)',
    tag: 'staff',
    body: z.object({ name: z.string().trim().min(1).max(80) }),
    response: z.object({ id: z.number(), token: z.string() }),
    status: 201,
    handler: async ({ me, body }) => {
      const t = await createApiToken(deps.db, me.id, body.name);
      await recordAudit(deps.db, { staffId: me.id, action: 'api-token.create', subjectKind: 'api-token', subjectId: t.id, details: { name: body.name } });
      return t;
    },
  });

  api.add({
    method: 'DELETE',
    url: '/api/me/api-tokens/:id',
    summary: 'Revoke one of your API tokens',
    tag: 'staff',
    params: idParams,
    status: 204,
    handler: async ({ me, params }) => {
      await revokeApiToken(deps.db, me.id, params.id);
      await recordAudit(deps.db, { staffId: me.id, action: 'api-token.revoke', subjectKind: 'api-token', subjectId: params.id });
    },
  });
}
