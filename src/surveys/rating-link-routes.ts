/**
 * What a star link in a survey mail opens: `GET /survey/rate/<token>` hands the score to `ingest` as a message of
 * the beneficiary's own conversation (the same path as a typed "⭐⭐⭐⭐", so the survey flow records it, asks
 * for a comment and thanks, exactly as for a typed answer), then shows a small thank-you page with an optional
 * comment form (`POST …/comment`, the same way). The message id is fixed per survey, so a second click is a
 * no-op in `ingest`, and a click after the survey was answered by text records nothing (surveys/survey-answer.ts).
 */
import { eq } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { escapeHtml } from '../text/escape-html';
import type { Organisation } from '../config/organisation-schema';
import type { InboundMessageInput } from '../messages/inbound-message';
import { channelNameSchema } from '../messages/channel-name';
import type { IngestResult } from '../pipeline/ingest';
import type { Db } from '../store/database';
import { contacts, conversations, surveys } from '../store/schema';
import type { ReplyRenderer } from '../templating/render-reply';
import type { Language } from '../templating/template-catalog';
import type { RatingLinks } from './rating-links';

export interface RatingLinkRouteDeps {
  db: Db;
  ingest(message: InboundMessageInput): Promise<IngestResult>;
  ratingLinks: RatingLinks;
  renderer: ReplyRenderer;
  organisation: Organisation;
  clock(): Date;
}

const FORM = 'application/x-www-form-urlencoded';
const commentSchema = z.object({ comment: z.string().trim().min(1, 'write a comment').max(2000, 'at most 2000 characters') });
const paramsSchema = z.object({ token: z.string().min(1).max(200) });

type PageState = 'thanks' | 'already' | 'expired' | 'invalid' | 'comment-thanks';

export async function registerRatingLinkRoutes(app: FastifyInstance, deps: RatingLinkRouteDeps): Promise<void> {
  const t = (key: string, lang: Language, params?: Record<string, string>) => deps.renderer.text(`survey.${key}`, lang, 'web', params);

  function page(reply: FastifyReply, lang: Language, state: PageState, opts: { score?: number; commentUrl?: string } = {}) {
    const dir = lang === 'ar' ? 'rtl' : 'ltr';
    const orgName = deps.organisation.name[lang];
    const message =
      state === 'thanks' ? t('link-thanks', lang, { stars: '⭐'.repeat(opts.score ?? 0) }) : t(`link-${state}`, lang);
    const form = opts.commentUrl
      ? `<form method="post" action="${escapeHtml(opts.commentUrl)}">
<label for="comment">${escapeHtml(t('link-comment-label', lang))}</label>
<textarea id="comment" name="comment" rows="4" maxlength="2000" required></textarea>
<button type="submit">${escapeHtml(t('link-comment-send', lang))}</button>
</form>`
      : '';
    const status = state === 'invalid' ? 404 : state === 'expired' ? 410 : 200;
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
      .send(`<!DOCTYPE html>
<html lang="${lang}" dir="${dir}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(t('link-title', lang))} · ${escapeHtml(orgName)}</title>
<style>body{margin:0;font-family:Tahoma,Arial,sans-serif;background:#f4f6f5;color:#1f2d27;line-height:1.7}
header{background:#1f6f50;color:#fff;padding:14px 20px;font-weight:bold;font-size:18px}
main{max-width:560px;margin:20px auto;background:#fff;border-radius:8px;padding:20px}
label{display:block;margin:16px 0 6px}textarea{width:100%;box-sizing:border-box;font:inherit;padding:8px}
button{margin-top:10px;padding:10px 18px;font:inherit;background:#1f6f50;color:#fff;border:0;border-radius:6px}</style></head>
<body><header>${escapeHtml(orgName)}</header>
<main><p id="result" data-state="${state}">${escapeHtml(message)}</p>${form}</main></body></html>`);
  }

  /** The survey and the conversation its question was asked in, or why there is nothing to answer. */
  async function target(surveyId: number) {
    const [row] = await deps.db
      .select({ survey: surveys, channel: contacts.channel, channelUserId: contacts.channelUserId })
      .from(surveys)
      .innerJoin(conversations, eq(conversations.id, surveys.promptConversationId))
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(eq(surveys.id, surveyId))
      .limit(1);
    return row ?? null;
  }
  const languageOf = (survey: { language: string | null } | undefined): Language =>
    survey?.language === 'en' ? 'en' : survey?.language === 'ar' ? 'ar' : deps.organisation.defaultLanguage;

  await app.register(async (scope) => {
    scope.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });

    scope.get('/survey/rate/:token', async (req, reply) => {
      const { token } = paramsSchema.parse(req.params);
      const claim = deps.ratingLinks.check(token, deps.clock());
      if (!claim.ok) return page(reply, deps.organisation.defaultLanguage, claim.reason);
      const found = await target(claim.surveyId);
      const lang = languageOf(found?.survey);
      if (!found) return page(reply, lang, 'invalid');
      const { survey } = found;
      if (survey.status === 'expired' || survey.status === 'skipped') return page(reply, lang, 'expired');
      if (survey.status === 'answered') {
        return page(reply, lang, 'already', survey.comment === null ? { commentUrl: deps.ratingLinks.commentUrl(token) } : {});
      }
      await deps.ingest({
        channel: channelNameSchema.parse(found.channel),
        channelUserId: found.channelUserId,
        // One per survey: clicking again, or another star after the first, is a redelivery to `ingest`.
        providerMessageId: `survey-${survey.id}-rating`,
        text: '⭐'.repeat(claim.score),
        conversationHint: survey.promptConversationId!,
        surveyLink: { surveyId: survey.id, kind: 'rating' },
      });
      return page(reply, lang, 'thanks', { score: claim.score, commentUrl: deps.ratingLinks.commentUrl(token) });
    });

    scope.post('/survey/rate/:token/comment', async (req, reply) => {
      const { token } = paramsSchema.parse(req.params);
      const claim = deps.ratingLinks.check(token, deps.clock());
      if (!claim.ok) return page(reply, deps.organisation.defaultLanguage, claim.reason);
      const parsed = commentSchema.safeParse(req.body);
      if (!parsed.success) return reply.code(400).send({ error: 'invalid comment', details: z.prettifyError(parsed.error) });
      const found = await target(claim.surveyId);
      const lang = languageOf(found?.survey);
      if (!found) return page(reply, lang, 'invalid');
      if (found.survey.status !== 'sent' && found.survey.status !== 'answered') return page(reply, lang, 'expired');
      await deps.ingest({
        channel: channelNameSchema.parse(found.channel),
        channelUserId: found.channelUserId,
        providerMessageId: `survey-${found.survey.id}-comment`,
        text: parsed.data.comment,
        conversationHint: found.survey.promptConversationId!,
        surveyLink: { surveyId: found.survey.id, kind: 'comment' },
      });
      return page(reply, lang, 'comment-thanks');
    });
  });
}
