/** The sign-in form (works without JavaScript). */
import { html } from '../html';
import { layout, t, type PageContext } from './layout';

export function loginPage(ctx: PageContext, loginCsrf: string, error: string | null, email = ''): string {
  return layout(
    ctx,
    t(ctx, 'signIn'),
    html`<section class="card narrow">
  <h1>${t(ctx, 'signIn')}</h1>
  ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
  <form method="post" action="/console/login" class="stack">
    <input type="hidden" name="_csrf" value="${loginCsrf}">
    <label>${t(ctx, 'email')} <input type="email" name="email" value="${email}" required autocomplete="username" dir="ltr"></label>
    <label>${t(ctx, 'password')} <input type="password" name="password" required autocomplete="current-password" dir="ltr"></label>
    <button type="submit">${t(ctx, 'signIn')}</button>
  </form>
</section>`,
    { pageId: 'login' },
  );
}
