/**
 * The actions a flow may call, as data: what each needs, which outcomes it reports and which variables it
 * gives to the templates that follow. `flows:check` validates flows against this list; the engine refuses to
 * start if an implementation is missing for any entry (see `engine/actions/`).
 */
export interface ActionSpec {
  /** Outcomes the action may report; a flow routes them with `outcomes:` or falls through to `next`. */
  outcomes: readonly string[];
  /** Variables the action adds for later templates. */
  outputs: readonly string[];
  /** Arguments a flow may pass with `with:`. */
  args: readonly string[];
  description: string;
}

export const actionCatalog = {
  handoff: {
    description: 'Hand the conversation to a social researcher; the bot stays silent until handed back.',
    outcomes: ['open', 'closed'],
    outputs: ['nextOpening', 'workingHours'],
    args: ['reason', 'priority', 'researcherGender'],
  },
  'handoff.preference': {
    description: 'Record `researcherGender` (female, male, or any) as the waiting chat\'s researcher preference; routing honours it.',
    outcomes: ['recorded'],
    outputs: [],
    args: [],
  },
  'requests.create': {
    description:
      'Create a support request from the intake answers, with the attestation text shown, a reference number and the earliest decision date.',
    outcomes: ['created', 'not-attested'],
    outputs: ['referenceNumber', 'decisionDateHijri', 'decisionDateGregorian', 'decisionDays', 'documentsList', 'documentsCount'],
    args: ['attestationTemplate'],
  },
  'requests.find': {
    description:
      'Find the request named by `reference` (or all of this beneficiary\'s requests when `reference` is unset); a request of somebody else needs an identity check first.',
    outcomes: ['found', 'needs-identity', 'not-found', 'list', 'none'],
    outputs: ['referenceNumber', 'statusLabel', 'statusDate', 'decisionDateHijri', 'decisionDateGregorian', 'requestsList', 'requestsCount'],
    args: [],
  },
  'requests.verify-identity': {
    description: 'Compare `idLast4` with the last four digits of the national ID on the request named by `reference`.',
    outcomes: ['verified', 'failed', 'locked'],
    outputs: ['referenceNumber', 'statusLabel', 'statusDate', 'decisionDateHijri', 'decisionDateGregorian', 'attemptsLeft'],
    args: [],
  },
  'requests.add-document': {
    description: 'Attach the file in `document` to the request `referenceNumber` (the one just created, or found).',
    outcomes: ['added', 'no-request'],
    outputs: ['documentsReceived'],
    args: [],
  },
  'volunteers.register': {
    description: 'Record a volunteer sign-up from `name`, `mobile`, `city`, `skills` and `availability`.',
    outcomes: ['registered'],
    outputs: [],
    args: [],
  },
  'conversation.set-language': {
    description: 'Switch the conversation to the language in `language` (ar or en).',
    outcomes: ['done'],
    outputs: [],
    args: [],
  },
  'faq.answer': {
    description: 'Answer the free question in `question` from flows/faq.yaml, naming the source document.',
    outcomes: ['answered', 'not-found'],
    outputs: [],
    args: [],
  },
  'survey.record': {
    description:
      'Record the satisfaction rating in `score` (1–5) and the optional `comment` on the survey `surveyId`; a low score opens a follow-up task for a supervisor. `closed` when the survey no longer takes answers.',
    outcomes: ['recorded', 'closed'],
    outputs: [],
    args: [],
  },
  'survey.opt-out': {
    description: 'The beneficiary asks for no more satisfaction surveys: remember it and close the survey `surveyId`.',
    outcomes: ['done'],
    outputs: [],
    args: [],
  },
  'consents.record': {
    description:
      'Record the answer to a consent question for each of `purposes` (comma-separated: application-processing, committee-review, surveys) with the exact text of `template`; the answer is `answerVar` equal to `grantedWhen` (default agree), or the fixed `answer`.',
    outcomes: ['granted', 'refused', 'withdrawn'],
    outputs: [],
    args: ['purposes', 'template', 'answerVar', 'grantedWhen', 'answer'],
  },
  'privacy.open-request': {
    description:
      'Open a data-subject request (`dataRequestKind`: copy, correction, deletion or withdrawal) as a task for staff, audited; `already-open` when one of that kind is still open.',
    outcomes: ['recorded', 'already-open'],
    outputs: ['dataRequestNumber'],
    args: [],
  },
  'email.send-link-code': {
    description:
      'Mail a one-time code to `emailAddress`, to prove the beneficiary reads it before that address joins their record (beneficiaries/link-email.ts).',
    outcomes: ['sent', 'invalid-address', 'same-contact', 'unavailable', 'too-many'],
    outputs: ['emailAddress'],
    args: [],
  },
  'email.confirm-link-code': {
    description: 'Check `linkCode` against the code last mailed from this conversation; link the address to this beneficiary when it matches.',
    outcomes: ['linked', 'wrong', 'expired', 'kept-apart'],
    outputs: ['emailAddress', 'attemptsLeft'],
    args: [],
  },
} as const satisfies Record<string, ActionSpec>;

export type ActionName = keyof typeof actionCatalog;

export function isActionName(name: string): name is ActionName {
  return Object.hasOwn(actionCatalog, name);
}
