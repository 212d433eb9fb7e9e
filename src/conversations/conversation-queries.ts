/**
 * What the console reads about conversations: the inbox lists and one conversation with everything a researcher
 * needs — the whole history across the beneficiary's channels with delivery status, why the bot handed off,
 * what the flow collected so far (sensitive answers only in their masked form), notes and requests.
 */
import { and, asc, desc, eq, inArray, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { outboundPayloadSchema } from '../messages/outbound-message';
import { parseConversationState } from '../engine/conversation-state';
import type { StaffPrincipal } from '../staff/staff-roles';
import type { Db } from '../store/database';
import { beneficiaries, contacts, conversations, messages, notes, requests, staff } from '../store/schema';
import { NotFoundError } from '../console/console-errors';
import { mayHold, queueFor } from './routing';

export const inboxViews = ['waiting', 'mine', 'open', 'resolved'] as const;
export const conversationListQuerySchema = z.object({
  view: z.enum(inboxViews).default('waiting'),
  channel: z.string().max(20).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ConversationListQuery = z.infer<typeof conversationListQuerySchema>;

export const conversationSummarySchema = z.object({
  id: z.number(),
  channel: z.string(),
  status: z.enum(['bot', 'waiting', 'human', 'resolved']),
  queue: z.enum(['urgent', 'complaints', 'shared']),
  handoffReason: z.string().nullable(),
  handoffPriority: z.string().nullable(),
  researcherGender: z.string().nullable(),
  handedOffAt: z.string().nullable(),
  waitingSeconds: z.number().nullable(),
  assignee: z.object({ id: z.number(), name: z.string() }).nullable(),
  beneficiary: z.object({ id: z.number(), name: z.string().nullable(), displayName: z.string().nullable() }),
  lastMessage: z.string().nullable(),
  updatedAt: z.string(),
  resolvedAt: z.string().nullable(),
  /** Whether the signed-in person may claim it (routing: team, female researcher). */
  mayClaim: z.boolean(),
});
export type ConversationSummary = z.infer<typeof conversationSummarySchema>;

const priorityRank = sql<number>`case when ${conversations.handoffPriority} = 'urgent' or ${conversations.handoffReason} = 'urgent' then 0 when ${conversations.handoffPriority} = 'high' then 1 else 2 end`;

export async function listConversations(db: Db, me: StaffPrincipal, q: ConversationListQuery, now = new Date()): Promise<ConversationSummary[]> {
  const where: SQL[] = [];
  let order: SQL[] = [desc(conversations.updatedAt)];
  switch (q.view) {
    case 'waiting':
      where.push(eq(conversations.status, 'waiting'));
      // Urgent on top, then oldest first: the person who has waited longest is next.
      order = [asc(priorityRank), asc(conversations.handedOffAt), asc(conversations.id)];
      break;
    case 'mine':
      where.push(eq(conversations.status, 'human'), eq(conversations.assigneeStaffId, me.id));
      break;
    case 'open':
      where.push(inArray(conversations.status, ['waiting', 'human']));
      order = [asc(priorityRank), asc(conversations.handedOffAt)];
      break;
    case 'resolved':
      where.push(eq(conversations.status, 'resolved'));
      order = [desc(conversations.resolvedAt)];
      break;
  }
  if (q.channel) where.push(eq(conversations.channel, q.channel));
  const lastText = sql<string | null>`(select m.text from ${messages} m where m.conversation_id = ${conversations.id} and m.direction = 'in' order by m.id desc limit 1)`;
  const rows = await db
    .select({
      conv: conversations,
      assigneeName: staff.name,
      beneficiaryName: beneficiaries.fullName,
      displayName: contacts.displayName,
      lastMessage: lastText,
    })
    .from(conversations)
    .innerJoin(beneficiaries, eq(beneficiaries.id, conversations.beneficiaryId))
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .leftJoin(staff, eq(staff.id, conversations.assigneeStaffId))
    .where(and(...where))
    .orderBy(...order)
    .limit(q.limit);
  return rows.map((r) => summarise(r.conv, r, me, now));
}

function summarise(
  c: typeof conversations.$inferSelect,
  r: { assigneeName: string | null; beneficiaryName: string | null; displayName: string | null; lastMessage: string | null },
  me: StaffPrincipal,
  now: Date,
): ConversationSummary {
  return {
    id: c.id,
    channel: c.channel,
    status: c.status,
    queue: queueFor(c),
    handoffReason: c.handoffReason,
    handoffPriority: c.handoffPriority,
    researcherGender: c.researcherGender,
    handedOffAt: c.handedOffAt?.toISOString() ?? null,
    waitingSeconds: c.status === 'waiting' && c.handedOffAt ? Math.max(0, Math.round((now.getTime() - c.handedOffAt.getTime()) / 1000)) : null,
    assignee: c.assigneeStaffId ? { id: c.assigneeStaffId, name: r.assigneeName ?? '' } : null,
    beneficiary: { id: c.beneficiaryId, name: r.beneficiaryName, displayName: r.displayName },
    lastMessage: r.lastMessage ? r.lastMessage.slice(0, 200) : null,
    updatedAt: c.updatedAt.toISOString(),
    resolvedAt: c.resolvedAt?.toISOString() ?? null,
    mayClaim: c.status === 'waiting' && !c.assigneeStaffId && mayHold(me, c).ok,
  };
}

export const historyMessageSchema = z.object({
  id: z.number(),
  conversationId: z.number(),
  direction: z.enum(['in', 'out']),
  channel: z.string(),
  author: z.enum(['beneficiary', 'bot', 'staff', 'system']),
  staffName: z.string().nullable(),
  text: z.string().nullable(),
  /** received/processed (inbound); queued → sent → delivered → read, or failed (outbound). */
  status: z.string(),
  error: z.string().nullable(),
  attachments: z.number(),
  /** The file a researcher sent with this message, if any. */
  file: z.object({ fileName: z.string(), mimeType: z.string(), sizeBytes: z.number() }).nullable(),
  at: z.string(),
});

export const conversationDetailSchema = z.object({
  conversation: conversationSummarySchema.extend({ resolutionNote: z.string().nullable() }),
  /** The flow the bot was running and what it collected; sensitive answers are masked. */
  flow: z.object({ id: z.string(), step: z.string(), data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])) }).nullable(),
  language: z.enum(['ar', 'en']).nullable(),
  history: z.array(historyMessageSchema),
  notes: z.array(z.object({ id: z.number(), staffName: z.string(), text: z.string(), at: z.string() })),
  requests: z.array(z.object({ id: z.number(), referenceNumber: z.string(), type: z.string(), status: z.string(), dueDate: z.string().nullable() })),
});
export type ConversationDetail = z.infer<typeof conversationDetailSchema>;

/** Flow variables the engine keeps for itself, not answers the beneficiary gave. */
const controlVariables = new Set(['clarifyOffer']);

export async function getConversationDetail(db: Db, me: StaffPrincipal, id: number, now = new Date()): Promise<ConversationDetail> {
  const [r] = await db
    .select({ conv: conversations, assigneeName: staff.name, beneficiaryName: beneficiaries.fullName, displayName: contacts.displayName })
    .from(conversations)
    .innerJoin(beneficiaries, eq(beneficiaries.id, conversations.beneficiaryId))
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .leftJoin(staff, eq(staff.id, conversations.assigneeStaffId))
    .where(eq(conversations.id, id));
  if (!r) throw new NotFoundError('conversation', id);
  const c = r.conv;
  const author = staff;
  // The whole history across every channel the beneficiary used, oldest first.
  const history = await db
    .select({ m: messages, staffName: author.name })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .leftJoin(author, eq(author.id, messages.staffId))
    .where(eq(conversations.beneficiaryId, c.beneficiaryId))
    .orderBy(asc(messages.createdAt), asc(messages.id))
    .limit(1000);
  const noteRows = await db
    .select({ n: notes, staffName: staff.name })
    .from(notes)
    .innerJoin(staff, eq(staff.id, notes.staffId))
    .where(and(eq(notes.beneficiaryId, c.beneficiaryId), or(isNull(notes.conversationId), eq(notes.conversationId, id))))
    .orderBy(asc(notes.createdAt));
  const requestRows = await db
    .select({ id: requests.id, referenceNumber: requests.referenceNumber, type: requests.type, status: requests.status, dueDate: requests.dueDate })
    .from(requests)
    .where(and(eq(requests.beneficiaryId, c.beneficiaryId), ne(requests.status, 'cancelled')))
    .orderBy(desc(requests.id));
  const state = parseConversationState(c.state);
  const frame = state.frame;
  return {
    conversation: { ...summarise(c, { ...r, lastMessage: null }, me, now), resolutionNote: c.resolutionNote },
    flow: frame
      ? {
          id: frame.flow,
          step: frame.step,
          // `data` already holds masked forms of sensitive answers (`******4563`); `sealed` is never read here.
          data: Object.fromEntries(Object.entries(frame.data).filter(([k]) => !controlVariables.has(k))),
        }
      : null,
    language: state.language ?? null,
    history: history.map(({ m, staffName }) => ({
      id: m.id,
      conversationId: m.conversationId,
      direction: m.direction,
      channel: m.channel,
      author: m.author,
      staffName,
      text: m.text,
      status: m.status,
      error: m.error,
      attachments: Array.isArray((m.payload as { media?: unknown[] })?.media) ? (m.payload as { media: unknown[] }).media.length : 0,
      file: sentFile(m.direction, m.payload),
      at: m.createdAt.toISOString(),
    })),
    notes: noteRows.map(({ n, staffName }) => ({ id: n.id, staffName, text: n.text, at: n.createdAt.toISOString() })),
    requests: requestRows,
  };
}

function sentFile(direction: string, payload: unknown): { fileName: string; mimeType: string; sizeBytes: number } | null {
  if (direction !== 'out') return null;
  const a = outboundPayloadSchema.safeParse(payload).data?.attachment;
  return a ? { fileName: a.fileName, mimeType: a.mimeType, sizeBytes: a.sizeBytes } : null;
}
