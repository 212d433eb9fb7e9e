/**
 * The WhatsApp pairing page (supervisors and admins): the session's state, the pairing QR while the gateway waits
 * for the charity's phone to scan it, and when it was last connected. Rendered with the current state; the
 * console script then refreshes it every few seconds from `GET /api/channels/whatsapp` (the QR rotates until
 * scanned, and disappears once paired).
 */
import type { WhatsappStatusView } from '../../channels/whatsapp/whatsapp-status-view';
import { html } from '../html';
import type { UiKey } from '../ui-text';
import { layout, t, type PageContext } from './layout';

const stateKeys: Record<WhatsappStatusView['state'], UiKey> = {
  offline: 'waStateOffline',
  standby: 'waStateStandby',
  starting: 'waStateStarting',
  qr: 'waStateQr',
  authenticated: 'waStateAuthenticated',
  ready: 'waStateReady',
  disconnected: 'waStateDisconnected',
  'logged-out': 'waStateLoggedOut',
};

const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') + ' UTC' : '');

export function whatsappPage(ctx: PageContext, view: WhatsappStatusView): string {
  const labels = Object.entries(stateKeys).map(([state, key]) => html` data-label-${state}="${t(ctx, key)}"`);
  return layout(
    ctx,
    t(ctx, 'whatsapp'),
    html`<h1>${t(ctx, 'whatsapp')}</h1>
<section class="card" id="wa" data-state="${view.state}" data-never="${t(ctx, 'waNever')}"${labels}>
  ${view.enabled ? '' : html`<p class="flash error" id="wa-missing">${t(ctx, 'waMissing')}</p>`}
  <dl class="facts">
    <dt>${t(ctx, 'waState')}</dt><dd id="wa-state">${t(ctx, stateKeys[view.state])}</dd>
    <dt>${t(ctx, 'waSince')}</dt><dd id="wa-since" dir="ltr">${when(view.since)}</dd>
    <dt>${t(ctx, 'waReason')}</dt><dd id="wa-reason" dir="ltr">${view.reason ?? ''}</dd>
    <dt>${t(ctx, 'waLastConnected')}</dt><dd id="wa-last" dir="ltr">${view.lastConnectedAt ? when(view.lastConnectedAt) : t(ctx, 'waNever')}</dd>
  </dl>
  <div id="wa-pair"${view.qr ? '' : html` hidden`}>
    <p>${t(ctx, 'waScanHelp')}</p>
    <img id="wa-qr" alt="QR" width="320" height="320" src="${view.qr ?? ''}">
  </div>
</section>`,
    { pageId: 'whatsapp' },
  );
}
