/**
 * Unifonic and Taqnyat configure their inbound-SMS and delivery-report webhooks per account, and the field
 * names differ between their products and documentation versions (`MessageID`, `messageId`, `message_id`…).
 * Rather than break on a rename, we accept the known spellings of each field, case-insensitively, and still
 * refuse a call that has neither a text nor a delivery state (400).
 */
import { deliveryStateOf, type SmsParseResult, type SmsWebhookEvent, type SmsWebhookRequest } from './sms-provider';

const FIELDS = {
  id: ['messageid', 'message_id', 'msgid', 'id', 'smsid', 'sms_id'],
  from: ['from', 'sender', 'originator', 'msisdn', 'mobile', 'phone'],
  text: ['body', 'message', 'text', 'msg', 'content'],
  state: ['status', 'dlr', 'dlrstatus', 'deliverystatus', 'state'],
  error: ['errorcode', 'error_code', 'error', 'reason', 'errormessage'],
};

function pick(fields: Record<string, unknown>, names: string[]): string | undefined {
  for (const [k, v] of Object.entries(fields)) {
    if (names.includes(k.toLowerCase()) && (typeof v === 'string' || typeof v === 'number') && String(v) !== '') return String(v);
  }
  return undefined;
}

/** One object, a list of them, or `{ data: … }` around either. */
function records(body: unknown): Record<string, unknown>[] | null {
  if (Array.isArray(body)) return body.every((b) => b && typeof b === 'object') ? (body as Record<string, unknown>[]) : null;
  if (!body || typeof body !== 'object') return null;
  const data = (body as Record<string, unknown>).data;
  if (data && typeof data === 'object') return records(data);
  return [body as Record<string, unknown>];
}

export function parseLooseWebhook(req: SmsWebhookRequest): SmsParseResult {
  const list = records(req.body);
  if (!list || list.length === 0 || list.length > 100) return { ok: false, reason: 'expected a JSON object or form fields' };
  const events: SmsWebhookEvent[] = [];
  for (const r of list) {
    const id = pick(r, FIELDS.id);
    const text = pick(r, FIELDS.text);
    const from = pick(r, FIELDS.from);
    const rawState = pick(r, FIELDS.state);
    if (!id) return { ok: false, reason: 'no message id' };
    if (text !== undefined && from) {
      events.push({ kind: 'inbound', providerMessageId: id, from, text });
    } else if (rawState) {
      const state = deliveryStateOf(rawState);
      if (!state) return { ok: false, reason: `unknown delivery state "${rawState.slice(0, 40)}"` };
      const error = pick(r, FIELDS.error);
      events.push({ kind: 'status', providerMessageId: id, state, ...(error && state === 'failed' ? { error } : {}) });
    } else {
      return { ok: false, reason: 'neither a message (from + text) nor a delivery status' };
    }
  }
  return { ok: true, events };
}
