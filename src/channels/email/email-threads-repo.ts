/**
 * The email channel's tables: `email_threads` (every Message-ID seen or sent → conversation) and
 * `email_mailbox_state` (IMAP UIDVALIDITY and the last UID handled).
 */
import { and, asc, desc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { DbOrTx } from '../../store/database';
import { emailMailboxState, emailThreads, messages } from '../../store/schema';
import { messageIdList, trimReferences } from './message-ids';

export interface InboundThreadRecord {
  messageId: string;
  subject: string;
  references: string[];
}

/** Written before `ingest`, so the engine's reply can always find what it answers. Idempotent. */
export async function recordInboundMail(db: DbOrTx, mail: InboundThreadRecord): Promise<void> {
  await db
    .insert(emailThreads)
    .values({ messageId: mail.messageId, direction: 'in', subject: mail.subject, references: mail.references })
    .onConflictDoNothing();
}

export async function attachConversation(db: DbOrTx, messageId: string, conversationId: number): Promise<void> {
  await db.update(emailThreads).set({ conversationId }).where(eq(emailThreads.messageId, messageId));
}

export async function recordOutboundMail(db: DbOrTx, messageId: string, conversationId: number, subject: string): Promise<void> {
  await db.insert(emailThreads).values({ messageId, conversationId, direction: 'out', subject }).onConflictDoNothing();
}

/**
 * The conversation a reply belongs to, from its In-Reply-To then References (newest first) (§5.2). Only
 * Message-IDs of mails we sent count (the sender chose the others).
 */
export async function findThreadConversation(db: DbOrTx, ids: { references: string[]; inReplyTo: string[] }): Promise<number | null> {
  const candidates = [...new Set([...ids.inReplyTo, ...[...ids.references].reverse()])];
  if (candidates.length === 0) return null;
  const rows = await db
    .select({ messageId: emailThreads.messageId, conversationId: emailThreads.conversationId })
    .from(emailThreads)
    .where(and(inArray(emailThreads.messageId, candidates), isNotNull(emailThreads.conversationId), eq(emailThreads.direction, 'out')));
  const byId = new Map(rows.map((r) => [r.messageId, r.conversationId!]));
  for (const id of candidates) if (byId.has(id)) return byId.get(id)!;
  return null;
}

export interface ThreadHeaders {
  inReplyTo?: string;
  references: string[];
  /** Subject of the mail being answered, without our "Re:" added yet. */
  subject?: string;
}

/**
 * How an outbound mail of this conversation threads: it answers the latest inbound mail (taken from the
 * messages table, whose provider id is the Message-ID, so it is there as soon as the engine can answer), with
 * that mail's References plus its id; a conversation the bot opened chains its own previous mails.
 */
export async function threadHeadersFor(db: DbOrTx, conversationId: number): Promise<ThreadHeaders> {
  const [lastIn] = await db
    .select({ providerMessageId: messages.providerMessageId })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, 'in'), eq(messages.channel, 'email')))
    .orderBy(desc(messages.id))
    .limit(1);
  const parentId = messageIdList(lastIn?.providerMessageId)[0];
  if (parentId) {
    const [parent] = await db.select().from(emailThreads).where(eq(emailThreads.messageId, parentId)).limit(1);
    const parentRefs = Array.isArray(parent?.references) ? (parent.references as string[]) : [];
    return {
      inReplyTo: parentId,
      references: trimReferences([...parentRefs.filter((r) => r !== parentId), parentId]),
      subject: parent?.subject ?? undefined,
    };
  }
  const ours = await db
    .select({ messageId: emailThreads.messageId, subject: emailThreads.subject })
    .from(emailThreads)
    .where(eq(emailThreads.conversationId, conversationId))
    .orderBy(asc(emailThreads.createdAt));
  const last = ours.at(-1);
  return last ? { inReplyTo: last.messageId, references: trimReferences(ours.map((o) => o.messageId)) } : { references: [] };
}

export interface MailboxPosition {
  uidValidity: number;
  lastUid: number;
}

export async function readMailboxPosition(db: DbOrTx, mailbox: string): Promise<MailboxPosition | null> {
  const [row] = await db.select().from(emailMailboxState).where(eq(emailMailboxState.mailbox, mailbox)).limit(1);
  return row ? { uidValidity: row.uidValidity, lastUid: row.lastUid } : null;
}

export async function saveMailboxPosition(db: DbOrTx, mailbox: string, position: MailboxPosition): Promise<void> {
  await db
    .insert(emailMailboxState)
    .values({ mailbox, ...position })
    .onConflictDoUpdate({ target: emailMailboxState.mailbox, set: { ...position, updatedAt: new Date() } });
}
