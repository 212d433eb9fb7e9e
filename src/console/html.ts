/**
 * Server-side HTML with escaping by default: every value interpolated into `html\`…\`` is escaped unless it is
 * itself an `html` fragment. Beneficiary text is also stripped of bidi override/isolate controls
 * (U+202A–U+202E, U+2066–U+2069), which could otherwise reorder what staff read ("RTL override" spoofing).
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function neutraliseBidi(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

export function escapeHtml(text: string): string {
  return neutraliseBidi(text).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

type Value = SafeHtml | string | number | boolean | null | undefined | Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}
