/**
 * The relational model (ARCHITECTURE.md "Data"). Invariants live in constraints: one inbound row per provider
 * message id, one open conversation per contact, unique reference numbers. Migrations in `drizzle/` are
 * generated from this file and must stay inside what both PostgreSQL 15 and PGlite (PostgreSQL 18) accept.
 */
import { sql } from 'drizzle-orm';
import {
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
    /** Arrival counter for inbound messages; taken under the row lock so order = commit order. */
    lastInboundSeq: integer('last_inbound_seq').notNull().default(0),
    handoffReason: text('handoff_reason'),
    handoffPriority: text('handoff_priority'),
    handedOffAt: timestamp('handed_off_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    check('conversations_status_ck', sql`${t.status} in ('bot', 'waiting', 'human', 'resolved')`),
    uniqueIndex('conversations_one_open_per_contact_uq').on(t.contactId).where(sql`${t.status} <> 'resolved'`),
    index('conversations_status_idx').on(t.status),
  ],
);

export const messageStatuses = ['received', 'processed', 'queued', 'sent', 'delivered', 'read', 'failed'] as const;

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
    index('messages_queued_outbound_idx').on(t.createdAt).where(sql`${t.direction} = 'out' and ${t.status} = 'queued'`),
  ],
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

export const surveys = pgTable(
  'surveys',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    subjectKind: text('subject_kind').notNull(),
    subjectId: text('subject_id').notNull(),
    conversationId: ref('conversation_id').references(() => conversations.id),
    staffId: ref('staff_id'),
    channel: text('channel'),
    status: text('status').notNull().default('scheduled'),
    score: integer('score'),
    comment: text('comment'),
    scheduledFor: timestamp('scheduled_for', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('surveys_subject_uq').on(t.subjectKind, t.subjectId)],
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
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('staff_email_uq').on(t.email)],
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
});

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
