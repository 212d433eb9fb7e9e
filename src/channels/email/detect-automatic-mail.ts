/**
 * Recognises mail no person wrote — out-of-office replies, bounces, read receipts, list mail — so Wasl never
 * answers it. Answering an auto-reply with a menu that provokes another auto-reply is the classic mail loop
 * (RFC 3834 §2 asks responders to check exactly these signals).
 */
import type { HeaderValue } from 'mailparser';

export type AutomaticMailReason =
  | 'auto-submitted'
  | 'auto-reply-header'
  | 'precedence'
  | 'delivery-report'
  | 'mailer-daemon'
  | 'null-return-path'
  | 'mailing-list'
  | 'auto-reply-subject';

export interface MailSignals {
  headers: Map<string, HeaderValue>;
  fromAddress: string | undefined;
  subject: string | undefined;
}

const headerText = (v: HeaderValue | undefined): string => {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : '')).join(',');
  if (typeof v === 'object' && 'value' in v && typeof v.value === 'string') return v.value;
  if (typeof v === 'object' && 'text' in v && typeof v.text === 'string') return v.text;
  return String(v);
};

/** `Return-Path: <>`, the null sender of bounces (RFC 5321 §4.5.5); mailparser gives an empty address. */
function isNullSender(v: HeaderValue | undefined): boolean {
  if (v === undefined) return false;
  if (typeof v === 'string') return v.trim() === '<>';
  if (typeof v === 'object' && 'value' in v && Array.isArray(v.value)) {
    return v.value.every((a) => typeof a === 'object' && a !== null && 'address' in a && !a.address);
  }
  return false;
}

/** Outlook and Gmail prefixes of vacation replies, in English and Arabic. */
const AUTO_REPLY_SUBJECT = /^\s*(automatic reply|auto(matic)?[- ]?reply|out of (the )?office|رد تلقائي|الرد التلقائي|خارج المكتب)\s*:/i;

/** Why this mail is automatic, or `null` when a person wrote it. */
export function detectAutomaticMail(mail: MailSignals): AutomaticMailReason | null {
  const h = mail.headers;
  const autoSubmitted = headerText(h.get('auto-submitted')).trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no') return 'auto-submitted';
  if (h.has('x-autoreply') || h.has('x-autorespond') || h.has('x-autoresponder')) return 'auto-reply-header';
  if (/^(bulk|junk|list|auto_reply)$/i.test(headerText(h.get('precedence')).trim())) return 'precedence';
  const contentType = h.get('content-type');
  if (contentType && typeof contentType === 'object' && 'value' in contentType && String(contentType.value).toLowerCase() === 'multipart/report') {
    return 'delivery-report';
  }
  const local = mail.fromAddress?.split('@')[0]?.toLowerCase() ?? '';
  if (['mailer-daemon', 'postmaster', 'mail-daemon', 'noreply', 'no-reply', 'donotreply', 'do-not-reply'].includes(local)) return 'mailer-daemon';
  if (isNullSender(h.get('return-path'))) return 'null-return-path';
  // mailparser folds every List-* header into one `list` entry.
  if (h.has('list') || h.has('list-id') || h.has('list-unsubscribe')) return 'mailing-list';
  if (mail.subject && AUTO_REPLY_SUBJECT.test(mail.subject)) return 'auto-reply-subject';
  return null;
}
