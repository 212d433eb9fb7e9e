/**
 * Template keys the engine itself sends (outside any flow step), with the variables each receives.
 * `flows:check` requires every one of them in every language.
 */
export const engineTemplateKeys = {
  /** Answer to a free question: the FAQ answer, then where it comes from. */
  'common.faq-answer': ['answer', 'source'],
  /** Said before the interrupted question is asked again after a side answer. */
  'common.resume': [],
  'common.cancelled': [],
  'common.nothing-to-go-back-to': [],
  /** After several answers that do not fit, before the researcher offer. */
  'common.offer-human': [],
  'common.offer-human-yes': [],
  'common.offer-human-no': [],
  /** Numbered-list hint shown under choices on text-only channels. */
  'common.choose-hint': [],
  'common.skip-hint': [],
  /** A message with nothing the bot can use (e.g. a sticker). */
  'common.unsupported-message': [],
  /** Something failed on our side; the beneficiary's message is kept. */
  'common.internal-error': [],
  /** While waiting for a researcher: the beneficiary may return to the bot with "menu". */
  'handoff.still-waiting': [],
  'handoff.returned-to-bot': [],
  /** Danger to safety or health: a human at once, and where to get help right now. */
  'handoff.urgent': [],
  'language.changed': [],
  /** The email layout's own words around every reply. */
  'email.choose-hint': [],
  'email.hotline-label': [],
  'email.website-label': [],
  'email.automated-notice': [],
  /** The answer to a mail over EMAIL_MAX_MESSAGE_BYTES, which is never read (channels/email/receive-oversized-email.ts). */
  'email.too-large': ['maxMegabytes', 'fileMegabytes'],
  /** The page a survey's star link opens (surveys/rating-link-routes.ts). */
  'survey.link-title': [],
  'survey.link-thanks': ['stars'],
  'survey.link-already': [],
  'survey.link-expired': [],
  'survey.link-invalid': [],
  'survey.link-comment-label': [],
  'survey.link-comment-send': [],
  'survey.link-comment-thanks': [],
  /** Under the star links of a survey mail (channels/email/email-layout.ts). */
  'email.stars-hint': [],
  /** Free text the bot could not place: one clarifying question, then a researcher. */
  'clarify.ask': [],
  'clarify.ask-open': [],
  'clarify.to-human': [],
  /** After an FAQ answer at the menu, before the menu's choices. */
  'menu.after-answer': [],
  /** Labels of the topics a clarifying question may offer, one per intent. */
  'topics.apply-support': [],
  'topics.required-documents': [],
  'topics.request-status': [],
  'topics.processing-time': [],
  'topics.talk-to-human': [],
  'topics.complaint': [],
  'topics.rate-service': [],
  'topics.volunteer': [],
  'topics.contact-info': [],
  'topics.update-data': [],
  'topics.eligibility': [],
  'topics.aid-types': [],
  'topics.data-request': [],
  /** Review screen: one line per answer, then the instruction. */
  'review.line': ['number', 'label', 'value'],
  'review.confirm': [],
  'review.not-given': [],
  /** Validation messages, by expectation kind. */
  'validation.text-length': ['min', 'max'],
  'validation.name': [],
  'validation.number': [],
  'validation.number-range': ['min', 'max'],
  'validation.integer': [],
  'validation.national-id': [],
  'validation.mobile': [],
  'validation.date': [],
  'validation.reference': [],
  'validation.digits': ['length'],
  'validation.choice': [],
  'validation.file-missing': [],
  'validation.file-type': [],
  'validation.file-size': ['maxMegabytes'],
  /** Status labels of a support request, by status id. */
  'status.submitted': [],
  'status.under-review': [],
  'status.needs-info': [],
  'status.approved': [],
  'status.rejected': [],
  'status.served': [],
  'status.cancelled': [],
  /** One line of "my requests". */
  'status.list-line': ['referenceNumber', 'statusLabel', 'statusDate'],
  /** The one-time code mailed to prove an email address (beneficiaries/link-email.ts). */
  'link-email.code-mail': ['code', 'minutes'],
  /** SMS opt-out confirmation and re-subscribe answer (channels/sms/subscription.ts). */
  'sms.opted-out': [],
  'sms.opted-in': [],
  /** Sent by the staff console when a request's status changes (requests/request-status.ts). */
  'request-status.under-review': ['referenceNumber', 'reason'],
  'request-status.needs-info': ['referenceNumber', 'reason'],
  'request-status.approved': ['referenceNumber', 'reason'],
  'request-status.rejected': ['referenceNumber', 'reason'],
  'request-status.served': ['referenceNumber', 'reason'],
  /** Canned replies offered in the staff console's reply box (console/routes/page-routes.ts). */
  'canned.greeting': [],
  'canned.ask-documents': [],
  'canned.follow-up': [],
  'canned.closing': [],
} as const satisfies Record<string, readonly string[]>;

export type EngineTemplateKey = keyof typeof engineTemplateKeys;

/** Variables every template may use, filled from the organisation profile. */
export const organisationTemplateVariables = ['orgName', 'hotline', 'website', 'email', 'workingHours', 'decisionDays'] as const;
