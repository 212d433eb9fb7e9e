/**
 * Star links in a survey mail: each one a URL that records one score for one survey, signed with a key derived
 * from the app's secret (HMAC-SHA256, so nobody can forge a link for another survey or another score) and
 * expiring with the survey. Clicking hands the score to the same path as a typed answer
 * (surveys/rating-link-routes.ts), so a second click, or a click after answering by text, records nothing new.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface RatingLinkClaim {
  surveyId: number;
  score: number;
}

export type RatingLinkCheck = ({ ok: true } & RatingLinkClaim) | { ok: false; reason: 'invalid' | 'expired' };

export interface RatingLinks {
  /** `${base}/survey/rate/<token>` for one score of one survey, valid until `expiresAt`. */
  url(surveyId: number, score: number, expiresAt: Date): string;
  /** The comment form's address for the same survey (same signature, so only the mail's reader can post). */
  commentUrl(token: string): string;
  check(token: string, now: Date): RatingLinkCheck;
}

const TOKEN = /^(\d{1,15})\.([1-5])\.(\d{1,12})\.([A-Za-z0-9_-]{22,64})$/;

export function createRatingLinks(opts: { secretKey: string; baseUrl: string }): RatingLinks {
  // A key of its own, so a signature made here can never be replayed against another use of the secret.
  const key = createHmac('sha256', opts.secretKey).update('wasl/survey-rating-links/v1').digest();
  const base = opts.baseUrl.replace(/\/+$/, '');
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
  const tokenOf = (surveyId: number, score: number, expiresAt: Date) => {
    const payload = `${surveyId}.${score}.${Math.floor(expiresAt.getTime() / 1000)}`;
    return `${payload}.${sign(payload)}`;
  };
  return {
    url: (surveyId, score, expiresAt) => `${base}/survey/rate/${tokenOf(surveyId, score, expiresAt)}`,
    commentUrl: (token) => `${base}/survey/rate/${token}/comment`,
    check(token, now) {
      const m = TOKEN.exec(token);
      if (!m) return { ok: false, reason: 'invalid' };
      const [, id, score, exp, sig] = m;
      const expected = Buffer.from(sign(`${id}.${score}.${exp}`));
      const given = Buffer.from(sig!);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
      if (Number(exp) * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
      return { ok: true, surveyId: Number(id), score: Number(score) };
    },
  };
}
