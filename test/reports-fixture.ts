/**
 * The survey-report fixture shared by test/reports.integration.test.ts (figures through the API) and
 * test/console-pages.integration.test.ts (the same figures on the reports page): one row of `surveys`, sent at a
 * Riyadh wall-clock time and, unless expired (no score), answered a minute later.
 */
import { DateTime } from 'luxon';

export const zone = 'Asia/Riyadh';
export const riyadh = (iso: string) => DateTime.fromISO(iso, { zone }).toJSDate();

/** Survey `n` of a beneficiary's conversation: about a request when `requestId` is set, else about the chat. */
export function surveyRow(
  at: { conversationId: number; beneficiaryId: number },
  n: number,
  requestId: number | null,
  channel: string,
  staffId: number | null,
  score: number | null,
  sent: string,
  comment: string | null = null,
) {
  return {
    subjectKind: requestId ? ('request' as const) : ('conversation' as const),
    subjectId: String(requestId ?? 1000 + n),
    conversationId: at.conversationId,
    beneficiaryId: at.beneficiaryId,
    requestId,
    staffId,
    channel,
    status: score === null ? ('expired' as const) : ('answered' as const),
    score,
    comment,
    sentAt: riyadh(sent),
    answeredAt: score === null ? null : new Date(riyadh(sent).getTime() + 60_000),
  };
}
