/**
 * The demo page at `/`: a plain page dressed as the organisation's own site (its name, hotline and address from
 * `flows/organisation.yaml`) with the widget embedded, so a newcomer sees Wasl in a browser a minute after
 * `npm start`. Values are HTML-escaped: the profile is edited by people, not trusted markup.
 */
import type { Organisation } from '../../config/organisation-schema';
import { escapeHtml } from '../../text/escape-html';

/** Fills `{{orgName}}`, `{{orgNameEn}}`, `{{hotline}}`, `{{address}}`, `{{website}}` and `{{waslUrl}}` in the template. */
export function renderDemoPage(template: string, org: Organisation, waslUrl: string): string {
  const values: Record<string, string> = {
    orgName: org.name.ar,
    orgNameEn: org.name.en,
    hotline: org.hotline,
    address: org.address?.ar ?? '',
    website: org.website ?? '',
    waslUrl,
  };
  return template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => (key in values ? escapeHtml(values[key]!) : whole));
}
