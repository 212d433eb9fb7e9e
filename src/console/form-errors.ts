/**
 * A rejected form's zod issues as one message per field, in the console's language, to show next to the
 * field. Only the common cases are worded here; anything else keeps zod's own (English) message, which still
 * says what is wrong.
 */
import type { z } from 'zod';
import type { UiLanguage } from './ui-text';

export type FieldErrors = Partial<Record<string, string>>;

function worded(issue: z.core.$ZodIssue, lang: UiLanguage): string {
  const ar = lang === 'ar';
  const fmt = (n: number | bigint) => new Intl.NumberFormat(ar ? 'ar-SA' : 'en-GB').format(n);
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string') {
        if (Number(issue.minimum) <= 1) return ar ? 'هذا الحقل مطلوب.' : 'This field is required.';
        return ar ? `قصير جدًا: ${fmt(issue.minimum)} أحرف على الأقل.` : `Too short: at least ${fmt(issue.minimum)} characters.`;
      }
      return ar ? `أقل قيمة مسموحة ${fmt(issue.minimum)}.` : `The smallest allowed value is ${fmt(issue.minimum)}.`;
    case 'too_big':
      if (issue.origin === 'string') return ar ? `طويل جدًا: ${fmt(issue.maximum)} حرفًا على الأكثر.` : `Too long: at most ${fmt(issue.maximum)} characters.`;
      return ar ? `أكبر قيمة مسموحة ${fmt(issue.maximum)}.` : `The largest allowed value is ${fmt(issue.maximum)}.`;
    case 'invalid_format':
      if (issue.format === 'email') return ar ? 'عنوان بريد إلكتروني غير صحيح.' : 'Not a valid e-mail address.';
      return issue.message;
    case 'invalid_value':
      return ar ? 'اختر إحدى القيم المعروضة.' : 'Choose one of the listed values.';
    case 'invalid_type':
      if (issue.expected === 'number') return ar ? 'اكتب رقمًا صحيحًا.' : 'Enter a whole number.';
      return issue.message;
    default:
      return issue.message;
  }
}

/** The first problem of each top-level field. */
export function fieldErrors(error: z.ZodError, lang: UiLanguage): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? '_form');
    out[field] ??= worded(issue, lang);
  }
  return out;
}
