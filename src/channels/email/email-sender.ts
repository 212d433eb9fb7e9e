/**
 * Sends replies with nodemailer: one mail per reply, HTML + plain text (+ a researcher's file as an attachment), threaded with In-Reply-To/References
 * onto the beneficiary's latest mail so the whole conversation stays one thread in their client. Arabic
 * subjects are RFC 2047-encoded by nodemailer.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Organisation } from '../../config/organisation-schema';
import type { Db } from '../../store/database';
import { ChannelDeliveryError, type ChannelAdapter, type OutboundEnvelope } from '../channel-adapter';
import type { EmailConfig } from './email-config';
import { and, desc, eq } from 'drizzle-orm';
import { surveys } from '../../store/schema';
import type { RatingLinks } from '../../surveys/rating-links';
import { SURVEY_RATING_TEMPLATE } from '../../surveys/survey-flow';
import { renderEmailBody, type EmailChrome, type StarLink } from './email-layout';
import { recordOutboundMail, threadHeadersFor } from './email-threads-repo';
import { outboundMessageId } from './message-ids';

export interface EmailSenderDeps {
  db: Db;
  organisation: Organisation;
  /** The layout's own words, from the templates. */
  chrome: (lang: 'ar' | 'en') => EmailChrome;
  /** Signs the star links of a survey's rating question; without it the question is the numbered list only. */
  ratingLinks?: RatingLinks;
  /** Tests may pass their own transport; by default one is made from SMTP_URL. */
  transporter?: Transporter;
}

const REPLY_PREFIX = /^\s*((re|aw|fwd?|رد|إعادة توجيه|اعادة توجيه)\s*(\[\d+\])?\s*:\s*)+/i;

/** "Re: <their subject>", or the organisation's name when the bot opens the conversation. */
export function replySubject(subject: string | undefined, organisation: Organisation, language: 'ar' | 'en'): string {
  const base = (subject ?? '').replace(REPLY_PREFIX, '').trim();
  return base ? `Re: ${base}` : organisation.name[language];
}

/** SMTP reply codes 4xx are temporary (greylisting, mailbox busy); 5xx are final (no such user, rejected). */
function deliveryError(err: unknown): ChannelDeliveryError {
  const e = err as { responseCode?: number; code?: string; message?: string };
  const code = e.responseCode;
  const permanent = (code !== undefined && code >= 500) || e.code === 'EENVELOPE';
  return new ChannelDeliveryError(
    `SMTP ${code ?? e.code ?? 'error'}: ${e.message ?? String(err)}`.slice(0, 500),
    'email',
    !permanent,
    undefined,
    { cause: err },
  );
}

/** The rating question of a survey gets one signed link per score, valid until the survey expires. */
async function starLinksFor(deps: EmailSenderDeps, message: OutboundEnvelope): Promise<StarLink[]> {
  if (!deps.ratingLinks || message.template !== SURVEY_RATING_TEMPLATE) return [];
  const [survey] = await deps.db
    .select({ id: surveys.id, expiresAt: surveys.expiresAt })
    .from(surveys)
    .where(and(eq(surveys.promptConversationId, message.conversationId), eq(surveys.status, 'sent')))
    .orderBy(desc(surveys.sentAt))
    .limit(1);
  if (!survey?.expiresAt) return [];
  const links = deps.ratingLinks;
  return message.choices
    .filter((c) => c.number <= 5 && c.value === String(c.number))
    .map((c) => ({ score: c.number, label: c.label, url: links.url(survey.id, c.number, survey.expiresAt!) }));
}

export function createEmailAdapter(config: EmailConfig, deps: EmailSenderDeps): ChannelAdapter & { close(): void } {
  const transporter = deps.transporter ?? nodemailer.createTransport(config.smtpUrl);
  return {
    channel: 'email',
    // A mail is not split; the limit only guards against a runaway template. Most providers allow a few mails a
    // second per account (Google Workspace ~2,000 a day), so pace gently.
    capabilities: { maxTextLength: 50_000, choices: 'numbered', rateLimit: { max: 5, durationMs: 1000 } },
    async send(message: OutboundEnvelope) {
      const thread = await threadHeadersFor(deps.db, message.conversationId);
      const messageId = outboundMessageId(message.conversationId, message.messageId, config.messageIdDomain);
      const subject = replySubject(thread.subject, deps.organisation, message.language);
      const body = renderEmailBody(message, deps.organisation, deps.chrome, await starLinksFor(deps, message));
      // A file a researcher attaches is a MIME attachment (nodemailer encodes an Arabic name per RFC 2231).
      const attachments = message.attachment
        ? [{ filename: message.attachment.fileName, content: await message.attachment.content(), contentType: message.attachment.mimeType }]
        : [];
      try {
        await transporter.sendMail({
          from: config.from.name ? { name: config.from.name, address: config.from.address } : config.from.address,
          to: message.channelUserId,
          subject,
          messageId,
          ...(thread.inReplyTo ? { inReplyTo: thread.inReplyTo } : {}),
          ...(thread.references.length ? { references: thread.references } : {}),
          text: body.text,
          html: body.html,
          ...(attachments.length ? { attachments } : {}),
          headers: {
            // RFC 3834: we are an automatic responder; well-behaved auto-responders will not answer us.
            'Auto-Submitted': 'auto-replied',
            'Content-Language': message.language === 'ar' ? 'ar-SA' : 'en',
          },
        });
      } catch (err) {
        throw deliveryError(err);
      }
      await recordOutboundMail(deps.db, messageId, message.conversationId, subject);
      return { providerMessageId: messageId };
    },
    close: () => transporter.close(),
  };
}
