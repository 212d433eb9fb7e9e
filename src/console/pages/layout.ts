/** The page shell every console page shares: RTL Arabic first, a language toggle, navigation, the CSRF meta tag. */
import { hasRole, type StaffPrincipal } from '../../staff/staff-roles';
import { html, type SafeHtml } from '../html';
import { uiText, type UiKey, type UiLanguage } from '../ui-text';

export interface PageContext {
  lang: UiLanguage;
  me: StaffPrincipal | null;
  csrfToken: string | null;
  /** The current path, to build the language toggle link. */
  path: string;
}

export const t = (ctx: Pick<PageContext, 'lang'>, key: UiKey) => uiText[ctx.lang][key];

export function layout(ctx: PageContext, title: string, body: SafeHtml, opts: { pageId?: string; scripts?: string[] } = {}): string {
  const other = ctx.lang === 'ar' ? 'en' : 'ar';
  const sep = ctx.path.includes('?') ? '&' : '?';
  return html`<!doctype html>
<html lang="${ctx.lang}" dir="${ctx.lang === 'ar' ? 'rtl' : 'ltr'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${ctx.csrfToken ?? ''}">
<meta name="ui-lang" content="${ctx.lang}">
<title>${title} · ${t(ctx, 'title')}</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
${(opts.scripts ?? []).map((src) => html`<script src="${src}" defer></script>
`)}</head>
<body data-page="${opts.pageId ?? ''}">
<header class="top">
  <a class="brand" href="/console">وصل <span id="badge" class="badge" hidden>0</span></a>
  ${ctx.me
    ? html`<nav>
      <a href="/console">${t(ctx, 'inbox')}</a>
      <a href="/console/requests">${t(ctx, 'requests')}</a>
      <a href="/console/search">${t(ctx, 'search')}</a>
      <a href="/console/reports">${t(ctx, 'reports')}</a>
      ${hasRole(ctx.me.role, 'supervisor') ? html`<a href="/console/follow-ups">${t(ctx, 'followUps')}</a>` : ''}
      ${hasRole(ctx.me.role, 'supervisor') ? html`<a href="/console/privacy/requests" id="nav-privacy">${t(ctx, 'privacyRequests')}</a>` : ''}
      ${hasRole(ctx.me.role, 'supervisor') ? html`<a href="/console/channels/whatsapp">${t(ctx, 'whatsapp')}</a>` : ''}
      ${hasRole(ctx.me.role, 'admin') ? html`<a href="/console/staff">${t(ctx, 'staffAdmin')}</a>` : ''}
    </nav>`
    : ''}
  <div class="who">
    <a href="${ctx.path}${sep}lang=${other}" class="lang">${t(ctx, 'language')}</a>
    ${ctx.me
      ? html`<span class="me">${ctx.me.name}</span>
      <form method="post" action="/console/logout" class="inline"><input type="hidden" name="_csrf" value="${ctx.csrfToken ?? ''}"><button type="submit" class="link">${t(ctx, 'signOut')}</button></form>`
      : ''}
  </div>
</header>
<div id="flash" class="flash" role="alert" data-wa-down="${t(ctx, 'waDownAlert')}" data-wa-up="${t(ctx, 'waUpAlert')}" hidden></div>
<main>${body}</main>
</body>
</html>`.value;
}

export function statusLabel(ctx: PageContext, status: string): string {
  const known: Record<string, UiKey> = { waiting: 'waiting', human: 'human', resolved: 'resolved', bot: 'bot' };
  return known[status] ? t(ctx, known[status]) : status;
}
