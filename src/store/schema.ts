/**
 * The relational model (ARCHITECTURE.md "Data"). Invariants live in constraints: one inbound row per provider
 * message id, one open conversation per contact, unique reference numbers. Migrations in `drizzle/` are
 * generated from this file and must stay inside what both PostgreSQL 15 and PGlite (PostgreSQL 18) accept.
 */
import { sql } from 'drizzle-orm';
import {
  customType,
  bigint,
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const ref = (name: string) => bigint(name, { mode: 'number' });

export const requestReferenceSeq = pgSequence('request_reference_seq', { startWith: 10001 });

export const beneficiaries = pgTable(
  'beneficiaries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    fullName: text('full_name'),
    /** AES-256-GCM ciphertext; see identity/sealed-value.ts. */
    nationalIdSealed: text('national_id_sealed'),
    /** Keyed hash (HMAC) so an ID can be searched without decrypting every row. */
    nationalIdHash: text('national_id_hash'),
    mobile: text('mobile'),
    language: text('language').notNull().default('ar'),
    surveyOptOut: boolean('survey_opt_out').notNull().default(false),
    /** Set when a deletion request erased this person's data; the row stays so open requests and the audit log still point somewhere. */
    erasedAt: timestamp('erased_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('beneficiaries_national_id_hash_idx').on(t.nationalIdHash), index('beneficiaries_mobile_idx').on(t.mobile)],
);

export const contacts = pgTable(
  'contacts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    beneficiaryId: ref('beneficiary_id').notNull().references(() => beneficiaries.id),
    channel: text('channel').notNull(),
    channelUserId: text('channel_user_id').notNull(),
    displayName: text('display_name'),
    /** E.164 number the channel itself proved (a WhatsApp sender, a Telegram contact shared by its owner). */
    verifiedMobile: text('verified_mobile'),
    optedOut: boolean('opted_out').notNull().default(false),
    /**
     * Arrival counter for this contact's inbound messages (their `seq`). Taken under the contact's row lock, which
     * ingest alone holds, so order = commit order without waiting on the drain's lock of the conversation
     * (docs/decisions/0006). One open conversation per contact, so it orders each conversation too.
     */
    inboundSeq: integer('inbound_seq').notNull().default(0),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('contacts_channel_user_uq').on(t.channel, t.channelUserId), index('contacts_verified_mobile_idx').on(t.verifiedMobile)],
);

export const conversationStatuses = ['bot', 'waiting', 'human', 'resolved'] as const;

export const conversations = pgTable(
  'conversations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    contactId: ref('contact_id').notNull().references(() => contacts.id),
    beneficiaryId: ref('beneficiary_id').notNull().references(() => beneficiaries.id),
    channel: text('channel').notNull(),
    status: text('status', { enum: conversationStatuses }).notNull().default('bot'),
    assigneeStaffId: ref('assignee_staff_id'),
    /** Engine state (current flow frame, language); parsed with engine/conversation-state.ts. */
    state: jsonb('state').notNull().default({}),
    handoffReason: text('handoff_reason'),
    handoffPriority: text('handoff_priority'),
    handedOffAt: timestamp('handed_off_at', { withTimezone: true }),
    /** 'female' when the beneficiary asked for a female researcher; claim and transfer honour it. */
    researcherGender: text('researcher_gender'),
    /** Why a researcher closed the chat (e.g. resolved without a survey). */
    resolutionNote: text('resolution_note'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    check('conversations_status_ck', sql`${t.status} in ('bot', 'waiting', 'human', 'resolved')`),
    uniqueIndex('conversations_one_open_per_contact_uq').on(t.contactId).where(sql`${t.status} <> 'resolved'`),
    index('conversations_status_idx').on(t.status),
    // A beneficiary's latest conversation (where a survey is sent) without scanning every conversation. Not on
    // updated_at, which every drain writes: an indexed column written makes each drain's update non-HOT, a new
    // entry in every index of the table (docs/performance.md, hot spot 17). A beneficiary has few conversations.
    index('conversations_beneficiary_idx').on(t.beneficiaryId),
  ],
);

/** `skipped`: an outbound message deliberately not sent (the contact opted out); `error` says why. */
export const messageStatuses = ['received', 'processed', 'queued', 'sent', 'delivered', 'read', 'failed', 'skipped'] as const;

export const messages = pgTable(
  'messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    conversationId: ref('conversation_id').notNull().references(() => conversations.id),
    direction: text('direction', { enum: ['in', 'out'] }).notNull(),
    channel: text('channel').notNull(),
    /** Inbound: arrival order within the conversation. */
    seq: integer('seq'),
    providerMessageId: text('provider_message_id'),
    author: text('author', { enum: ['beneficiary', 'bot', 'staff', 'system'] }).notNull(),
    staffId: ref('staff_id'),
    text: text('text'),
    /** Inbound media reference or outbound choices/template, per messages/message-schema.ts. */
    payload: jsonb('payload').notNull().default({}),
    status: text('status', { enum: messageStatuses }).notNull(),
    error: text('error'),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    receivedAt: timestamp('received_at', { withTimezone: true }),
    processedAt: timestamp('processed_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    check('messages_direction_ck', sql`${t.direction} in ('in', 'out')`),
    uniqueIndex('messages_inbound_provider_uq').on(t.channel, t.providerMessageId).where(sql`${t.direction} = 'in'`),
    index('messages_conversation_idx').on(t.conversationId, t.id),
    index('messages_pending_inbound_idx').on(t.conversationId, t.seq).where(sql`${t.direction} = 'in' and ${t.status} = 'received'`),
    // A conversation's queued replies, for the send path's "which is next?" (pipeline/send-outbound.ts) and the
    // sweeper's stranded replies. Without it the send path scanned every queued reply of every conversation: at
    // 10k contacts the sender slowed as its own backlog grew (docs/performance.md). The sweeper's own index on
    // created_at is gone: one index fewer to write with every reply, and it holds queued replies only.
    index('messages_queued_outbound_by_conversation_idx').on(t.conversationId, t.id).where(sql`${t.direction} = 'out' and ${t.status} = 'queued'`),
    // Delivery reports (SMS DLRs, WhatsApp acks, email DSNs) find their message by the provider's id, not a scan.
    // Only sent replies have one: a reply is written without, and indexed when its send is recorded.
    index('messages_outbound_provider_idx')
      .on(t.channel, t.providerMessageId)
      .where(sql`${t.direction} = 'out' and ${t.providerMessageId} is not null`),
  ],
);

/**
 * Which send job is sending a conversation's replies on a channel (ADR 0013). The queue's deduplication keeps
 * one job per conversation only while Redis remembers it; a lease here keeps two senders apart when it does not
 * (Redis restarted empty, a job handed out twice). Taken with the first read of a job, renewed while the worker
 * lives, given back (expired at once) when the conversation has nothing left to send; the row stays for the
 * next job, and is deleted an hour after it was given back or expired (pipeline/outbound-lease.ts). No foreign
 * key: checking one would share-lock the conversation row that every drain locks for update.
 */
export const outboundLeases = pgTable(
  'outbound_leases',
  {
    conversationId: ref('conversation_id').notNull(),
    channel: text('channel').notNull(),
    /** One token per run of a send job (pipeline/send-outbound.ts). */
    holder: text('holder').notNull(),
    /** `-infinity` once given back. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.channel] })],
);

export const requestStatuses = ['submitted', 'under-review', 'needs-info', 'approved', 'rejected', 'served', 'cancelled'] as const;

export const requests = pgTable(
  'requests',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    referenceNumber: text('reference_number').notNull(),
    beneficiaryId: ref('beneficiary_id').notNull().references(() => beneficiaries.id),
    contactId: ref('contact_id').notNull().references(() => contacts.id),
    conversationId: ref('conversation_id').references(() => conversations.id),
    type: text('type').notNull(),
    status: text('status', { enum: requestStatuses }).notNull().default('submitted'),
    /** The intake answers, without the national ID (that one is sealed below). */
    answers: jsonb('answers').notNull(),
    nationalIdSealed: text('national_id_sealed').notNull(),
    nationalIdHash: text('national_id_hash').notNull(),
    /** { text, language, channel, at } — the exact declaration the applicant accepted (policy step 4). */
    attestation: jsonb('attestation').notNull(),
    dueDate: date('due_date', { mode: 'string' }),
    documentsRequired: jsonb('documents_required').notNull().default([]),
    identityFailures: integer('identity_failures').notNull().default(0),
    submittedAt: timestamp('submitted_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('requests_reference_uq').on(t.referenceNumber),
    index('requests_beneficiary_idx').on(t.beneficiaryId),
    check('requests_status_ck', sql`${t.status} in ('submitted', 'under-review', 'needs-info', 'approved', 'rejected', 'served', 'cancelled')`),
  ],
);

export const requestStatusHistory = pgTable('request_status_history', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  requestId: ref('request_id').notNull().references(() => requests.id),
  fromStatus: text('from_status'),
  toStatus: text('to_status').notNull(),
  reason: text('reason'),
  actorStaffId: ref('actor_staff_id'),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
});

export const requestDocuments = pgTable('request_documents', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  requestId: ref('request_id').notNull().references(() => requests.id),
  messageId: ref('message_id').references(() => messages.id),
  fileName: text('file_name'),
  mimeType: text('mime_type').notNull(),
  sizeBytes: integer('size_bytes').notNull(),
  storageKey: text('storage_key').notNull(),
  createdAt: createdAt(),
});

export const volunteers = pgTable('volunteers', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  contactId: ref('contact_id').notNull().references(() => contacts.id),
  name: text('name').notNull(),
  mobile: text('mobile'),
  city: text('city'),
  skills: text('skills'),
  availability: text('availability'),
  createdAt: createdAt(),
});

export const surveySubjectKinds = ['request', 'conversation'] as const;
/**
 * scheduled → sent → answered; or skipped (opted out, nobody to ask, not wanted) / expired (no rating in time).
 * A survey is never re-opened: one per subject, ever (policy practice 3: asked once, politely).
 */
export const surveyStatuses = ['scheduled', 'sent', 'answered', 'expired', 'skipped'] as const;

export const surveys = pgTable(
  'surveys',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    subjectKind: text('subject_kind', { enum: surveySubjectKinds }).notNull(),
    subjectId: text('subject_id').notNull(),
    /** The conversation the service happened in; the prompt goes to the beneficiary's latest one. */
    conversationId: ref('conversation_id').references(() => conversations.id),
    beneficiaryId: ref('beneficiary_id').references(() => beneficiaries.id),
    /** Set for request subjects, so reports can group by request type. */
    requestId: ref('request_id').references(() => requests.id),
    /** The conversation the prompt was sent in (a new one when the service conversation was resolved). */
    promptConversationId: ref('prompt_conversation_id').references(() => conversations.id),
    /** Who served, fixed when the prompt is sent (later reassignment must not move the rating). */
    staffId: ref('staff_id'),
    /** Where and in which language the prompt was sent. */
    channel: text('channel'),
    language: text('language'),
    /** request-served, conversation-resolved, bot-answered or manual. */
    trigger: text('trigger').notNull().default('manual'),
    status: text('status', { enum: surveyStatuses }).notNull().default('scheduled'),
    skipReason: text('skip_reason'),
    score: integer('score'),
    comment: text('comment'),
    scheduledFor: timestamp('scheduled_for', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    remindedAt: timestamp('reminded_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('surveys_subject_uq').on(t.subjectKind, t.subjectId),
    check('surveys_status_ck', sql`${t.status} in ('scheduled', 'sent', 'answered', 'expired', 'skipped')`),
    check('surveys_score_ck', sql`${t.score} is null or ${t.score} between 1 and 5`),
    index('surveys_sent_at_idx').on(t.sentAt),
    index('surveys_status_idx').on(t.status),
    index('surveys_beneficiary_sent_idx').on(t.beneficiaryId, t.sentAt),
  ],
);

/** A low rating (1–2) asks a supervisor to look into the service; never a mark against the beneficiary. */
export const followUpTasks = pgTable(
  'follow_up_tasks',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    surveyId: ref('survey_id').notNull().references(() => surveys.id),
    beneficiaryId: ref('beneficiary_id').references(() => beneficiaries.id),
    conversationId: ref('conversation_id').references(() => conversations.id),
    /** The researcher the rating concerns; visible to supervisors only. */
    staffId: ref('staff_id'),
    score: integer('score').notNull(),
    comment: text('comment'),
    status: text('status', { enum: ['open', 'done'] }).notNull().default('open'),
    closedByStaffId: ref('closed_by_staff_id'),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    note: text('note'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('follow_up_tasks_survey_uq').on(t.surveyId),
    check('follow_up_tasks_status_ck', sql`${t.status} in ('open', 'done')`),
    index('follow_up_tasks_open_idx').on(t.createdAt).where(sql`${t.status} = 'open'`),
  ],
);

export const staff = pgTable(
  'staff',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ['researcher', 'supervisor', 'admin'] }).notNull(),
    active: boolean('active').notNull().default(true),
    /** For the "female researcher" preference (common and expected in the Kingdom). */
    gender: text('gender', { enum: ['female', 'male'] }),
    /** Routing: e.g. 'complaints'; null = the shared researchers' queue. */
    team: text('team'),
    /** Most chats one person holds at once; claim refuses beyond it. */
    caseloadLimit: integer('caseload_limit').notNull().default(10),
    /** Supervisors on duty are paged for urgent cases. */
    onDuty: boolean('on_duty').notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('staff_email_uq').on(t.email)],
);

/** Console sessions; the cookie holds a random token, the row only its SHA-256 (a DB dump logs nobody in). */
export const staffSessions = pgTable(
  'staff_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    staffId: ref('staff_id').notNull().references(() => staff.id),
    /** Synchronizer token: state-changing requests must echo it in X-CSRF-Token. */
    csrfToken: text('csrf_token').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('staff_sessions_staff_idx').on(t.staffId)],
);

/** Bearer tokens for integrations, per staff member; only the hash is kept. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    staffId: ref('staff_id').notNull().references(() => staff.id),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    /** The token's first characters, so staff can tell tokens apart in a list (never enough to use one). */
    tokenPrefix: text('token_prefix'),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_tokens_hash_uq').on(t.tokenHash)],
);

/** Internal notes on a beneficiary's record or one conversation; never sent to the beneficiary. */
export const notes = pgTable(
  'notes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    beneficiaryId: ref('beneficiary_id').notNull().references(() => beneficiaries.id),
    conversationId: ref('conversation_id').references(() => conversations.id),
    staffId: ref('staff_id').notNull().references(() => staff.id),
    text: text('text').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('notes_beneficiary_idx').on(t.beneficiaryId)],
);

export const offlineContactKinds = ['interview', 'phone-call', 'branch-visit', 'letter'] as const;

/** Contacts that happen off-line (an interview, a phone call, a branch representative's visit), logged by staff. */
export const offlineContacts = pgTable(
  'offline_contacts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    beneficiaryId: ref('beneficiary_id').notNull().references(() => beneficiaries.id),
    staffId: ref('staff_id').notNull().references(() => staff.id),
    kind: text('kind', { enum: offlineContactKinds }).notNull(),
    summary: text('summary').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('offline_contacts_beneficiary_idx').on(t.beneficiaryId),
    check('offline_contacts_kind_ck', sql`${t.kind} in ('interview', 'phone-call', 'branch-visit', 'letter')`),
  ],
);

export const auditLog = pgTable('audit_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  staffId: ref('staff_id'),
  action: text('action').notNull(),
  subjectKind: text('subject_kind').notNull(),
  subjectId: text('subject_id').notNull(),
  beneficiaryId: ref('beneficiary_id'),
  details: jsonb('details').notNull().default({}),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('audit_log_beneficiary_idx').on(t.beneficiaryId, t.at), index('audit_log_staff_idx').on(t.staffId, t.at)]);

/** Every flow revision ever run, so a conversation finishes on the revision it started. */
export const flowRevisions = pgTable(
  'flow_revisions',
  {
    flowId: text('flow_id').notNull(),
    revision: text('revision').notNull(),
    definition: jsonb('definition').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.flowId, t.revision] })],
);

/** Raw bytes; drizzle-orm 0.45 has no built-in `bytea`. pg returns a Buffer, PGlite a Uint8Array. */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});

/**
 * WhatsApp Web sessions (whatsapp-web.js RemoteAuth): the zipped browser profile of each paired number, so a
 * restarted or replacement gateway resumes without a new QR scan. See channels/whatsapp/postgres-session-store.ts.
 */
export const whatsappSessions = pgTable('whatsapp_sessions', {
  session: text('session').primaryKey(),
  data: bytea('data').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Every Message-ID the email channel has seen or sent, so replies stay one thread in the beneficiary's mail
 * client. Inbound rows are written before the message is ingested (conversation still unknown) so the reply's
 * `References` never races the engine; the conversation is filled in once `ingest` returns.
 */
export const emailThreads = pgTable(
  'email_threads',
  {
    messageId: text('message_id').primaryKey(),
    conversationId: ref('conversation_id').references(() => conversations.id),
    direction: text('direction', { enum: ['in', 'out'] }).notNull(),
    subject: text('subject'),
    /** The message's own References chain (inbound), oldest first. */
    references: jsonb('references').notNull().default([]),
    createdAt: createdAt(),
  },
  (t) => [index('email_threads_conversation_idx').on(t.conversationId, t.createdAt)],
);

/**
 * Proof that a beneficiary reads an email address before that address's contact joins their record
 * (beneficiaries/link-email.ts): a one-time code mailed to the address, typed back in the conversation that
 * asked for it. Only the code's hash is kept; a row is used once, expires, and allows a few wrong tries.
 */
export const emailLinkCodes = pgTable(
  'email_link_codes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    beneficiaryId: ref('beneficiary_id').notNull().references(() => beneficiaries.id),
    /** The contact (on another channel) the beneficiary asked from; the code counts only there. */
    contactId: ref('contact_id').notNull().references(() => contacts.id),
    /** Lower-cased address the code was mailed to. */
    address: text('address').notNull(),
    codeHash: text('code_hash').notNull(),
    wrongAttempts: integer('wrong_attempts').notNull().default(0),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('email_link_codes_contact_idx').on(t.contactId, t.createdAt)],
);

/** IMAP sync position per mailbox: a changed UIDVALIDITY means the UIDs we remember mean nothing any more. */
export const emailMailboxState = pgTable('email_mailbox_state', {
  mailbox: text('mailbox').primaryKey(),
  uidValidity: bigint('uid_validity', { mode: 'number' }).notNull(),
  lastUid: bigint('last_uid', { mode: 'number' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** What a beneficiary may consent to (docs/privacy.md); one row per answer, never updated, so history stays. */
export const consentPurposes = ['application-processing', 'committee-review', 'surveys'] as const;
export const consentAnswers = ['granted', 'refused', 'withdrawn'] as const;

/**
 * Consent per purpose (Saudi PDPL): the exact text the person saw (template key, rendered text, language), their
 * answer, when and where. The latest row per beneficiary and purpose is the standing answer.
 */
export const consents = pgTable(
  'consents',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    beneficiaryId: ref('beneficiary_id').notNull().references(() => beneficiaries.id),
    contactId: ref('contact_id').references(() => contacts.id),
    purpose: text('purpose', { enum: consentPurposes }).notNull(),
    answer: text('answer', { enum: consentAnswers }).notNull(),
    template: text('template').notNull(),
    text: text('text').notNull(),
    language: text('language').notNull(),
    channel: text('channel'),
    /** The inbound message that carried the answer. */
    messageId: ref('message_id'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('consents_beneficiary_idx').on(t.beneficiaryId, t.purpose, t.at),
    check('consents_purpose_ck', sql`${t.purpose} in ('application-processing', 'committee-review', 'surveys')`),
    check('consents_answer_ck', sql`${t.answer} in ('granted', 'refused', 'withdrawn')`),
  ],
);

export const dataRequestKinds = ['copy', 'correction', 'deletion', 'withdrawal'] as const;
export const dataRequestStatuses = ['open', 'done', 'rejected'] as const;

/** A data-subject request (copy, correction, deletion) made on any channel; a task for staff until done. */
export const dataRequests = pgTable(
  'data_requests',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    beneficiaryId: ref('beneficiary_id').notNull().references(() => beneficiaries.id),
    contactId: ref('contact_id').references(() => contacts.id),
    conversationId: ref('conversation_id').references(() => conversations.id),
    kind: text('kind', { enum: dataRequestKinds }).notNull(),
    status: text('status', { enum: dataRequestStatuses }).notNull().default('open'),
    channel: text('channel'),
    /** What was done (export counts, what was erased and what was kept under legal hold). */
    outcome: jsonb('outcome').notNull().default({}),
    completedByStaffId: ref('completed_by_staff_id'),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('data_requests_open_idx').on(t.createdAt).where(sql`${t.status} = 'open'`),
    index('data_requests_beneficiary_idx').on(t.beneficiaryId),
    check('data_requests_kind_ck', sql`${t.kind} in ('copy', 'correction', 'deletion', 'withdrawal')`),
    check('data_requests_status_ck', sql`${t.status} in ('open', 'done', 'rejected')`),
  ],
);
