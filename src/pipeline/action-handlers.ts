/**
 * The implementation of every action in `engine/action-catalog.ts`. The record type makes the compiler refuse
 * a catalogue entry without a handler, so a flow can never call an action the engine cannot run.
 */
import type { ActionHandler } from '../engine/action-context';
import type { ActionName } from '../engine/action-catalog';
import type { TextUnderstanding } from '../engine/run-turn';
import type { FaqResponder } from '../faq/faq-responder';
import { confirmLinkCode, sendLinkCode } from '../beneficiaries/link-email';
import { handoff, recordResearcherPreference } from '../handoff/handoff-action';
import { addDocument, createRequest, findRequest, verifyIdentity } from '../requests/request-actions';
import { recordConsent } from '../privacy/consent-actions';
import { createDataRequest } from '../privacy/data-request-actions';
import { optOutOfSurveys, recordSurveyAnswer } from '../surveys/survey-actions';
import { registerVolunteer } from '../volunteers/volunteer-actions';

export interface ActionHandlerDeps {
  /** Whether mail can go out (SMTP_URL set): linking an email address mails it a code. */
  emailEnabled?: boolean;
  faq: FaqResponder;
  understand(text: string): TextUnderstanding | null;
  faqThreshold: number;
}

export function createActionHandlers(deps: ActionHandlerDeps): Record<ActionName, ActionHandler> {
  return {
    handoff,
    'handoff.preference': recordResearcherPreference,
    'requests.create': createRequest,
    'requests.find': findRequest,
    'requests.verify-identity': verifyIdentity,
    'requests.add-document': addDocument,
    'volunteers.register': registerVolunteer,
    'survey.record': recordSurveyAnswer,
    'survey.opt-out': optOutOfSurveys,
    'consents.record': recordConsent,
    'privacy.open-request': createDataRequest,
    'email.send-link-code': sendLinkCode({ emailEnabled: deps.emailEnabled ?? false }),
    'email.confirm-link-code': confirmLinkCode,
    'conversation.set-language': async (_ctx, call) => {
      const wanted = call.frame.data.language;
      return { outcome: 'done', language: wanted === 'en' ? 'en' : 'ar' };
    },
    'faq.answer': async (_ctx, call) => {
      const question = String(call.frame.data.question ?? '');
      const match = deps.understand(question)?.faq;
      if (!match || match.confidence < deps.faqThreshold || !deps.faq.has(match.id)) return { outcome: 'not-found' };
      return { outcome: 'answered', replies: [deps.faq.reply(match.id, call.language)] };
    },
  };
}
