/**
 * Staff management for admins: the accounts (with the fields routing uses: role, gender, team, caseload limit),
 * switching an account off or on, a new password, and the integrations' API tokens. Plain HTML forms posting
 * with the session's CSRF token; a rejected field is shown next to the field, with what was typed kept.
 */
import type { ApiTokenListing } from '../../staff/api-tokens';
import type { StaffListing } from '../../staff/staff-admin';
import { staffRoles } from '../../staff/staff-roles';
import type { FieldErrors } from '../form-errors';
import { html, type SafeHtml } from '../html';
import { fieldError, invalid } from './form-fields';
import { layout, t, type PageContext } from './layout';
import type { UiKey } from '../ui-text';


export interface StaffAdminView {
  staff: StaffListing[];
  tokens: ApiTokenListing[];
  /** Which form failed, its errors and what was typed (never a password). */
  addStaff?: { errors: FieldErrors; values: Record<string, string> };
  password?: { staffId: number; error: string };
  token?: { errors: FieldErrors; values: Record<string, string> };
  /** A token just created: shown this once. */
  newToken?: string;
  notice?: string;
  error?: string;
  /** The organisation's zone, for the dates shown. */
  timeZone: string;
}

const roleKey: Record<(typeof staffRoles)[number], UiKey> = { researcher: 'roleResearcher', supervisor: 'roleSupervisor', admin: 'roleAdmin' };

export function staffAdminPage(ctx: PageContext, v: StaffAdminView): string {
  const csrf = html`<input type="hidden" name="_csrf" value="${ctx.csrfToken ?? ''}">`;
  const dateFmt = new Intl.DateTimeFormat(ctx.lang === 'ar' ? 'ar-SA-u-ca-gregory' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: v.timeZone });
  const when = (d: Date | null) => (d ? dateFmt.format(d) : t(ctx, 'never'));
  const names = new Map(v.staff.map((s) => [s.id, s.name]));
  const add = v.addStaff ?? { errors: {}, values: {} };
  const tok = v.token ?? { errors: {}, values: {} };
  const field = (name: string, label: string, input: SafeHtml, hint?: string) =>
    html`<label for="staff-${name}">${label}</label>${input}${hint ? html`<span class="meta">${hint}</span>` : ''}${fieldError(`staff-${name}`, add.errors[name])}`;
  return layout(
    ctx,
    t(ctx, 'staffAdmin'),
    html`<h1>${t(ctx, 'staffAdmin')}</h1>
${v.notice ? html`<p class="notice" role="status" id="notice">${v.notice}</p>` : ''}
${v.error ? html`<p class="flash error" role="alert" id="page-error">${v.error}</p>` : ''}
<table class="table" id="staff-table">
  <thead><tr><th>${t(ctx, 'staffName')}</th><th>${t(ctx, 'email')}</th><th>${t(ctx, 'role')}</th><th>${t(ctx, 'gender')}</th><th>${t(ctx, 'team')}</th><th>${t(ctx, 'caseloadLimit')}</th><th>${t(ctx, 'status')}</th><th></th></tr></thead>
  <tbody>${v.staff.map((s) => {
      const pwError = v.password?.staffId === s.id ? v.password.error : undefined;
      return html`<tr data-staff-id="${s.id}" data-email="${s.email}" class="${s.active ? '' : 'inactive'}">
    <th scope="row" dir="auto">${s.name}</th><td dir="ltr">${s.email}</td><td>${t(ctx, roleKey[s.role])}</td>
    <td>${s.gender ? t(ctx, s.gender) : t(ctx, 'notSet')}</td><td>${s.team ?? '—'}</td><td>${s.caseloadLimit}</td>
    <td class="state">${s.active ? t(ctx, 'active') : t(ctx, 'inactive')}</td>
    <td>
      <form method="post" action="/console/staff/${s.id}/active" class="inline">${csrf}<input type="hidden" name="active" value="${s.active ? 'false' : 'true'}"><button type="submit" class="secondary toggle-active">${s.active ? t(ctx, 'deactivate') : t(ctx, 'reactivate')}</button></form>
      <details ${pwError ? html`open` : ''}><summary>${t(ctx, 'resetPassword')}</summary>
        <form method="post" action="/console/staff/${s.id}/password" class="stack reset-password">${csrf}
          <label for="pw-${s.id}">${t(ctx, 'newPassword')}</label>
          <input id="pw-${s.id}" type="password" name="password" autocomplete="new-password" required ${invalid(`pw-${s.id}`, pwError)}>
          ${fieldError(`pw-${s.id}`, pwError)}
          <button type="submit">${t(ctx, 'resetPassword')}</button>
        </form>
      </details>
    </td>
  </tr>`;
    })}</tbody>
</table>

<section class="card" id="add-staff">
  <h2>${t(ctx, 'addStaff')}</h2>
  <form method="post" action="/console/staff" class="stack" novalidate>${csrf}
    ${field('name', t(ctx, 'staffName'), html`<input id="staff-name" name="name" value="${add.values.name ?? ''}" dir="auto" ${invalid('staff-name', add.errors.name)}>`)}
    ${field('email', t(ctx, 'email'), html`<input id="staff-email" name="email" type="email" dir="ltr" value="${add.values.email ?? ''}" ${invalid('staff-email', add.errors.email)}>`)}
    ${field('password', t(ctx, 'password'), html`<input id="staff-password" name="password" type="password" autocomplete="new-password" ${invalid('staff-password', add.errors.password)}>`)}
    ${field('role', t(ctx, 'role'), html`<select id="staff-role" name="role" ${invalid('staff-role', add.errors.role)}>${staffRoles.map((r) => html`<option value="${r}" ${(add.values.role ?? 'researcher') === r ? html`selected` : ''}>${t(ctx, roleKey[r])}</option>`)}</select>`)}
    ${field('gender', t(ctx, 'gender'), html`<select id="staff-gender" name="gender" ${invalid('staff-gender', add.errors.gender)}><option value="">${t(ctx, 'notSet')}</option>${(['female', 'male'] as const).map((g) => html`<option value="${g}" ${add.values.gender === g ? html`selected` : ''}>${t(ctx, g)}</option>`)}</select>`)}
    ${field('team', t(ctx, 'team'), html`<input id="staff-team" name="team" dir="ltr" value="${add.values.team ?? ''}" ${invalid('staff-team', add.errors.team)}>`, t(ctx, 'teamHint'))}
    ${field('caseloadLimit', t(ctx, 'caseloadLimit'), html`<input id="staff-caseloadLimit" name="caseloadLimit" type="number" min="1" max="500" value="${add.values.caseloadLimit ?? '10'}" ${invalid('staff-caseloadLimit', add.errors.caseloadLimit)}>`)}
    <button type="submit">${t(ctx, 'addStaff')}</button>
  </form>
</section>

<section class="card" id="api-tokens">
  <h2>${t(ctx, 'apiTokens')}</h2>
  ${v.newToken ? html`<div class="notice" role="status"><p>${t(ctx, 'tokenShownOnce')}</p><code id="new-token" class="secret">${v.newToken}</code></div>` : ''}
  <table class="table" id="token-table">
    <thead><tr><th>${t(ctx, 'tokenName')}</th><th>${t(ctx, 'tokenOwner')}</th><th>${t(ctx, 'tokenPrefix')}</th><th>${t(ctx, 'created')}</th><th>${t(ctx, 'lastUsed')}</th><th>${t(ctx, 'status')}</th><th></th></tr></thead>
    <tbody>${v.tokens.map(
      (k) => html`<tr data-token-id="${k.id}">
      <td dir="auto">${k.name}</td><td dir="auto">${names.get(k.staffId) ?? `#${k.staffId}`}</td><td><code class="secret prefix">${k.prefix ? `${k.prefix}…` : '—'}</code></td>
      <td>${dateFmt.format(k.createdAt)}</td><td class="last-used">${when(k.lastUsedAt)}</td>
      <td class="state">${k.revokedAt ? t(ctx, 'revoked') : t(ctx, 'active')}</td>
      <td>${k.revokedAt ? '' : html`<form method="post" action="/console/api-tokens/${k.id}/revoke" class="inline">${csrf}<button type="submit" class="secondary revoke">${t(ctx, 'revoke')}</button></form>`}</td>
    </tr>`,
    )}</tbody>
  </table>
  <form method="post" action="/console/api-tokens" class="stack" novalidate>${csrf}
    <label for="token-name">${t(ctx, 'tokenName')}</label>
    <input id="token-name" name="name" dir="auto" value="${tok.values.name ?? ''}" ${invalid('token-name', tok.errors.name)}>
    ${fieldError('token-name', tok.errors.name)}
    <label for="token-staffId">${t(ctx, 'tokenOwner')}</label>
    <select id="token-staffId" name="staffId" ${invalid('token-staffId', tok.errors.staffId)}>${v.staff
      .filter((s) => s.active)
      .map((s) => html`<option value="${s.id}" ${tok.values.staffId === String(s.id) ? html`selected` : ''}>${s.name} (${t(ctx, roleKey[s.role])})</option>`)}</select>
    ${fieldError('token-staffId', tok.errors.staffId)}
    <button type="submit">${t(ctx, 'createToken')}</button>
  </form>
</section>`,
    { pageId: 'staff-admin' },
  );
}
