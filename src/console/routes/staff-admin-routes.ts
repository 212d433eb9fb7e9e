/**
 * Staff management for admins: `/console/staff` (accounts and API tokens, as HTML forms) and the same actions
 * as JSON under `/api/staff/…` and `/api/api-tokens`. Every change is audited. Forms are validated with the
 * same zod schemas as the API (staff-repo's `newStaffSchema`, staff-admin's `newPasswordSchema`), and a
 * rejected field comes back next to the field.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { createApiToken, listApiTokens, revokeAnyApiToken } from '../../staff/api-tokens';
import { recordAudit } from '../../staff/record-audit';
import { listAllStaff, newPasswordSchema, resetStaffPassword, setStaffActive, StaffAdminError } from '../../staff/staff-admin';
import { createStaff, findActiveStaff, newStaffSchema, StaffExistsError } from '../../staff/staff-repo';
import type { StaffPrincipal } from '../../staff/staff-roles';
import { idParams, type ApiRegistry } from '../api-route';
import type { ConsoleDeps } from '../console-deps';
import { ConflictError, InvalidInputError, NotFoundError } from '../console-errors';
import { fieldErrors } from '../form-errors';
import { staffAdminPage, type StaffAdminView } from '../pages/staff-admin-page';
import { t } from '../pages/layout';
import { rolePages, type SignedInPage } from './role-pages';

/** A form posts strings; these make them the values the shared schemas expect (empty = not given). */
function staffFromForm(body: Record<string, string>) {
  const caseload = (body.caseloadLimit ?? '').trim();
  return {
    name: body.name ?? '',
    email: (body.email ?? '').trim(),
    password: body.password ?? '',
    role: body.role ?? '',
    gender: body.gender ? body.gender : null,
    team: (body.team ?? '').trim() || null,
    ...(caseload ? { caseloadLimit: Number(caseload) } : {}),
  };
}

export const newTokenSchema = z.object({
  name: z.string().trim().min(1, 'give the token a name').max(80),
  staffId: z.coerce.number().int().positive(),
});


export function registerStaffAdminRoutes(app: FastifyInstance, api: ApiRegistry, deps: ConsoleDeps): void {
  const { page, form } = rolePages(deps);

  // The actions, shared by the forms and the JSON API; each audits itself.
  const actions = {
    async create(me: StaffPrincipal, input: z.input<typeof newStaffSchema>) {
      const row = await createStaff(deps.db, input);
      await recordAudit(deps.db, { staffId: me.id, action: 'staff.create', subjectKind: 'staff', subjectId: row.id, details: { role: row.role } });
      return row;
    },
    async setActive(me: StaffPrincipal, staffId: number, active: boolean) {
      await setStaffActive(deps.db, me.id, staffId, active);
      await recordAudit(deps.db, { staffId: me.id, action: active ? 'staff.reactivate' : 'staff.deactivate', subjectKind: 'staff', subjectId: staffId });
    },
    async resetPassword(me: StaffPrincipal, staffId: number, password: string) {
      await resetStaffPassword(deps.db, staffId, password);
      await recordAudit(deps.db, { staffId: me.id, action: 'staff.password-reset', subjectKind: 'staff', subjectId: staffId });
    },
    async createToken(me: StaffPrincipal, input: z.infer<typeof newTokenSchema>) {
      if (!(await findActiveStaff(deps.db, input.staffId))) throw new NotFoundError('active staff member', input.staffId);
      const token = await createApiToken(deps.db, input.staffId, input.name);
      await recordAudit(deps.db, { staffId: me.id, action: 'api-token.create', subjectKind: 'api-token', subjectId: token.id, details: { name: input.name, forStaffId: input.staffId } });
      return token;
    },
    async revokeToken(me: StaffPrincipal, id: number) {
      const revoked = await revokeAnyApiToken(deps.db, id);
      if (!revoked) throw new ConflictError(`API token ${id} is unknown or already revoked`, 'TOKEN_ERR_NOT_ACTIVE', { id });
      await recordAudit(deps.db, { staffId: me.id, action: 'api-token.revoke', subjectKind: 'api-token', subjectId: id, details: { forStaffId: revoked.staffId } });
    },
  };

  const render = async (ctx: SignedInPage, extra: Partial<Omit<StaffAdminView, 'timeZone'>> = {}) =>
    staffAdminPage(ctx, { staff: await listAllStaff(deps.db), tokens: await listApiTokens(deps.db), timeZone: deps.content.organisation.timezone, ...extra });
  const body = (req: { body?: unknown }) => (req.body ?? {}) as Record<string, string>;
  const done = (reply: FastifyReply, what: string) => reply.redirect(`/console/staff?done=${what}`, 303);

  app.get(
    '/console/staff',
    page('admin', async (req, _reply, ctx) => render(ctx, (req.query as { done?: string }).done ? { notice: t(ctx, 'saved') } : {})),
  );

  app.post(
    '/console/staff',
    form('admin', async (req, reply, ctx) => {
      const raw = body(req);
      const values = { name: raw.name ?? '', email: raw.email ?? '', role: raw.role ?? '', gender: raw.gender ?? '', team: raw.team ?? '', caseloadLimit: raw.caseloadLimit ?? '' };
      const parsed = newStaffSchema.safeParse(staffFromForm(raw));
      if (!parsed.success) return reply.code(400).send(await render(ctx, { addStaff: { errors: fieldErrors(parsed.error, ctx.lang), values } }));
      try {
        await actions.create(ctx.me, parsed.data);
      } catch (err) {
        if (err instanceof StaffExistsError) return reply.code(409).send(await render(ctx, { addStaff: { errors: { email: `${t(ctx, 'emailTaken')} ${err.email}` }, values } }));
        throw err;
      }
      return done(reply, 'created');
    }),
  );

  app.post(
    '/console/staff/:id/active',
    form('admin', async (req, reply, ctx) => {
      const { id } = idParams.parse(req.params);
      const active = z.enum(['true', 'false']).safeParse(body(req).active);
      if (!active.success) throw new InvalidInputError('active must be true or false', { where: 'body.active' });
      try {
        await actions.setActive(ctx.me, id, active.data === 'true');
      } catch (err) {
        if (err instanceof StaffAdminError) return reply.code(err.code === 'STAFF_ERR_SELF' ? 409 : 404).send(await render(ctx, { error: err.message }));
        throw err;
      }
      return done(reply, active.data === 'true' ? 'reactivated' : 'deactivated');
    }),
  );

  app.post(
    '/console/staff/:id/password',
    form('admin', async (req, reply, ctx) => {
      const { id } = idParams.parse(req.params);
      const parsed = newPasswordSchema.safeParse({ password: body(req).password ?? '' });
      if (!parsed.success) return reply.code(400).send(await render(ctx, { password: { staffId: id, error: fieldErrors(parsed.error, ctx.lang).password ?? 'invalid password' } }));
      await actions.resetPassword(ctx.me, id, parsed.data.password);
      return done(reply, 'password');
    }),
  );

  app.post(
    '/console/api-tokens',
    form('admin', async (req, reply, ctx) => {
      const raw = body(req);
      const values = { name: raw.name ?? '', staffId: raw.staffId ?? '' };
      const parsed = newTokenSchema.safeParse(raw);
      if (!parsed.success) return reply.code(400).send(await render(ctx, { token: { errors: fieldErrors(parsed.error, ctx.lang), values } }));
      const token = await actions.createToken(ctx.me, parsed.data);
      // Shown in this response only (never stored in clear, never in a redirect URL).
      return reply.code(201).send(await render(ctx, { newToken: token.token }));
    }),
  );

  app.post(
    '/console/api-tokens/:id/revoke',
    form('admin', async (req, reply, ctx) => {
      const { id } = idParams.parse(req.params);
      await actions.revokeToken(ctx.me, id);
      return done(reply, 'revoked');
    }),
  );

  // The same, as JSON for integrations and scripts.
  const staffAccount = z.object({
    id: z.number(),
    name: z.string(),
    email: z.string(),
    role: z.string(),
    gender: z.string().nullable(),
    team: z.string().nullable(),
    caseloadLimit: z.number(),
    active: z.boolean(),
  });
  api.add({
    method: 'GET',
    url: '/api/staff/accounts',
    summary: 'Every staff account, deactivated ones too (admins)',
    tag: 'staff',
    role: 'admin',
    response: z.object({ staff: z.array(staffAccount) }),
    handler: async () => ({ staff: await listAllStaff(deps.db) }),
  });
  api.add({
    method: 'POST',
    url: '/api/staff/:id/active',
    summary: 'Deactivate or reactivate a staff account (admins); deactivating ends its sessions',
    tag: 'staff',
    role: 'admin',
    params: idParams,
    body: z.object({ active: z.boolean() }),
    status: 204,
    handler: async ({ me, params, body: b }) => {
      try {
        await actions.setActive(me, params.id, b.active);
      } catch (err) {
        if (err instanceof StaffAdminError && err.code === 'STAFF_ERR_NOT_FOUND') throw new NotFoundError('staff member', params.id);
        if (err instanceof StaffAdminError) throw new ConflictError(err.message, err.code);
        throw err;
      }
    },
  });
  api.add({
    method: 'POST',
    url: '/api/staff/:id/password',
    summary: "Set a staff member's password (admins); ends their sessions",
    tag: 'staff',
    role: 'admin',
    params: idParams,
    body: newPasswordSchema,
    status: 204,
    handler: async ({ me, params, body: b }) => {
      try {
        await actions.resetPassword(me, params.id, b.password);
      } catch (err) {
        if (err instanceof StaffAdminError) throw new NotFoundError('staff member', params.id);
        throw err;
      }
    },
  });
  api.add({
    method: 'GET',
    url: '/api/api-tokens',
    summary: 'Every API token: name, owner, first characters, last use (admins; never the token)',
    tag: 'staff',
    role: 'admin',
    response: z.object({
      tokens: z.array(z.object({ id: z.number(), staffId: z.number(), name: z.string(), prefix: z.string().nullable(), createdAt: z.string(), lastUsedAt: z.string().nullable(), revokedAt: z.string().nullable() })),
    }),
    handler: async () => ({
      tokens: (await listApiTokens(deps.db)).map((k) => ({ ...k, createdAt: k.createdAt.toISOString(), lastUsedAt: k.lastUsedAt?.toISOString() ?? null, revokedAt: k.revokedAt?.toISOString() ?? null })),
    }),
  });
  api.add({
    method: 'POST',
    url: '/api/api-tokens',
    summary: 'Create an API token acting as a staff member (admins; the token is shown once)',
    tag: 'staff',
    role: 'admin',
    body: newTokenSchema,
    response: z.object({ id: z.number(), token: z.string() }),
    status: 201,
    handler: async ({ me, body: b }) => actions.createToken(me, b),
  });
  api.add({
    method: 'DELETE',
    url: '/api/api-tokens/:id',
    summary: "Revoke anyone's API token (admins)",
    tag: 'staff',
    role: 'admin',
    params: idParams,
    status: 204,
    handler: async ({ me, params }) => actions.revokeToken(me, params.id),
  });
}
