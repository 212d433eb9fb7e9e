/**
 * `npm run sms:segments`: what each template costs by SMS. Every template key, in Arabic and English, rendered
 * as the SMS channel would send it (the `@sms` variant when there is one) with realistic placeholder values —
 * long-ish names, a real reference number, the organisation's own name and hotline — then counted as GSM-7 or
 * UCS-2 parts. Arabic is always UCS-2: 70 characters for one part, 67 per part beyond.
 *
 * The count is for the template alone; a reply with choices adds its numbered list, and a reply may join
 * several templates. Counts are approximate ("≈"): providers may split a part a little earlier.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { countSegments } from './channels/sms/segment-count';
import { loadEnv } from './config/load-config';
import { loadContent } from './content/load-content';
import type { TemplateParam } from './messages/outbound-message';
import { createReplyRenderer } from './templating/render-reply';
import type { Language } from './templating/template-catalog';

/** Placeholder values by variable name; names not listed get one by the shape of their name. */
const SAMPLES: Record<Language, Record<string, TemplateParam>> = {
  ar: {
    name: 'نورة سعد عبدالله الشهري',
    referenceNumber: 'REQ-10482',
    reference: 'REQ-10482',
    statusLabel: { t: 'status.under-review' },
    statusDate: '1447/09/25 هـ',
    decisionDateHijri: '1447/10/09 هـ',
    decisionDateGregorian: '2026-03-28',
    nextOpening: 'الأحد 8:00 صباحًا',
    reason: 'نحتاج صورة عقد الإيجار الحالي',
    requestsList: 'REQ-10482 (قيد الدراسة)، REQ-10311 (تم التنفيذ)',
    documentsList: '1. صورة الهوية\n2. عقد الإيجار',
    answer: 'نستقبل الطلبات طوال أيام الأسبوع عبر هذه المحادثة، وتدرسها اللجنة خلال أسبوعين.',
    source: 'دليل الخدمات',
    label: 'عدد أفراد الأسرة',
    value: '7',
  },
  en: {
    name: 'Noura Saad Abdullah Alshehri',
    referenceNumber: 'REQ-10482',
    reference: 'REQ-10482',
    statusLabel: { t: 'status.under-review' },
    statusDate: '2026-03-14',
    decisionDateHijri: '1447/10/09 AH',
    decisionDateGregorian: '2026-03-28',
    nextOpening: 'Sunday 8:00 am',
    reason: 'we need a copy of the current rental contract',
    requestsList: 'REQ-10482 (under review), REQ-10311 (served)',
    documentsList: '1. ID copy\n2. Rental contract',
    answer: 'We take requests every day of the week in this chat, and the committee studies them within two weeks.',
    source: 'Services guide',
    label: 'Family size',
    value: '7',
  },
};

function sampleFor(variable: string, lang: Language): TemplateParam {
  const known = SAMPLES[lang][variable];
  if (known !== undefined) return known;
  if (/name/i.test(variable)) return SAMPLES[lang].name!;
  if (/count|days|number|min|max|length|left|score|size|megabytes|received/i.test(variable)) return 3;
  if (/date/i.test(variable)) return SAMPLES[lang].statusDate!;
  return lang === 'ar' ? 'نص تجريبي' : 'sample text';
}

/** Every template key (without channel suffixes) in a templates file, in file order, and those with an `@sms` variant. */
function templateKeys(file: string): { keys: string[]; withSmsVariant: Set<string> } {
  const keys = new Set<string>();
  const withSmsVariant = new Set<string>();
  const walk = (node: unknown, at: string[]) => {
    if (node && typeof node === 'object' && !Array.isArray(node)) {
      for (const [k, v] of Object.entries(node)) walk(v, [...at, k]);
    } else if (typeof node === 'string') {
      const dotted = at.join('.');
      const at_ = dotted.lastIndexOf('@');
      const key = at_ > 0 ? dotted.slice(0, at_) : dotted;
      keys.add(key);
      if (at_ > 0 && dotted.slice(at_ + 1) === 'sms') withSmsVariant.add(key);
    }
  };
  walk(parse(readFileSync(file, 'utf8')), []);
  return { keys: [...keys], withSmsVariant };
}

export interface SegmentRow {
  key: string;
  language: Language;
  variant: 'sms' | 'base';
  encoding: string;
  units: number;
  segments: number;
}

/** Measures every template; exported for tests and other reports. */
export function measureTemplates(root: string): SegmentRow[] {
  const env = loadEnv(process.env);
  const dirs = { flowsDir: path.resolve(root, env.FLOWS_DIR), templatesDir: path.resolve(root, env.TEMPLATES_DIR) };
  const content = loadContent({ ...dirs, displayRoot: root });
  const renderer = createReplyRenderer(content.templates, content.organisation);
  const rows: SegmentRow[] = [];
  for (const lang of ['ar', 'en'] as const) {
    const { keys, withSmsVariant } = templateKeys(path.join(dirs.templatesDir, `${lang}.yaml`));
    for (const key of keys) {
      const params = Object.fromEntries([...content.templates.variablesOf(key)].map((v) => [v, sampleFor(v, lang)]));
      const count = countSegments(renderer.text(key, lang, 'sms', params));
      rows.push({ key, language: lang, variant: withSmsVariant.has(key) ? 'sms' : 'base', ...count });
    }
  }
  return rows;
}

function printTable(rows: SegmentRow[]): void {
  const header = ['template', 'lang', 'text', 'encoding', 'chars', 'parts'];
  const lines = rows.map((r) => [r.key, r.language, r.variant === 'sms' ? '@sms' : 'base', r.encoding, String(r.units), `≈${r.segments}`]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
  const multi = rows.filter((r) => r.segments > 1);
  const heavySms = rows.filter((r) => r.variant === 'sms' && r.segments > 1);
  console.log(
    `\n${rows.length} texts (${rows.filter((r) => r.language === 'ar').length} Arabic); ${multi.length} need more than one part; ` +
      `${rows.filter((r) => r.variant === 'sms').length} use an @sms variant, ${heavySms.length} of which still need more than one part.`,
  );
  console.log('Arabic is always UCS-2: 70 characters for one part, 67 per part beyond. Choices add their numbered list.');
}

if (require.main === module) {
  printTable(measureTemplates(process.cwd()));
}
