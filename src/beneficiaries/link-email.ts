/**
 * An email address joins a beneficiary's record only once the beneficiary has shown they read it: from a
 * conversation where Wasl already knows them (WhatsApp, SMS, Telegram, the website chat), they give the address,
 * Wasl mails a one-time code to it, and they type the code back in that same conversation. A From header alone
 * proves nothing (anyone can write one), so a mail from an address never links by itself; and the person who
 * typed the address cannot finish without reading that mailbox. Design and alternatives: docs/channels/email.md.
 *
 * Once proven, the address's email contact (created with a record of its own when Wasl first mails it, like
 * any unknown sender) moves to the beneficiary — unless its own record already holds requests, a real person's
 * history that only a researcher may merge (the same rule as beneficiaries/link-by-mobile.ts).
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { ActionHandler } from '../engine/action-context';
import type { Sealer } from '../identity/sealed-value';
import type { ActionResult } from '../engine/run-turn';
import type { Tx } from '../store/database';
import { beneficiaries, contacts, conversations, emailLinkCodes, requests } from '../store/schema';
import { writeOutbound } from '../conversations/write-outbound';

export const LINK_CODE_TTL_MS = 30 * 60_000;
export const LINK_CODE_MAX_WRONG = 5;
/** Codes one contact may ask for in an hour: each one is a mail to an address someone typed. */
export const LINK_CODES_PER_HOUR = 3;
const CODE_MAIL_TEMPLATE = 'link-email.code-mail';

const addressSchema = z.email().max(254);

export function normaliseAddress(raw: unknown): string | null {
  const parsed = addressSchema.safeParse(typeof raw === 'string' ? raw.trim().toLowerCase() : raw);
  return parsed.success ? parsed.data : null;
}

/** Keyed with the app's secret (identity/sealed-value.ts), so a database dump alone cannot try the million codes. */
const hashCode = (sealer: Sealer, rowId: number, code: string) => sealer.hash(`${rowId}:${code}`);

/** The email contact for `address`, created (with a record of its own) when Wasl has never seen it. */
async function emailContact(tx: Tx, address: string) {
  const [existing] = await tx.select().from(contacts).where(and(eq(contacts.channel, 'email'), eq(contacts.channelUserId, address))).limit(1);
  if (existing) return existing;
  const [person] = await tx.insert(beneficiaries).values({}).returning({ id: beneficiaries.id });
  const [created] = await tx.insert(contacts).values({ beneficiaryId: person!.id, channel: 'email', channelUserId: address }).returning();
  return created!;
}

async function openConversation(tx: Tx, contact: typeof contacts.$inferSelect, language: 'ar' | 'en'): Promise<number> {
  const [open] = await tx
    .select({ id: conversations.id })
    .from(conversations)
    .where(and(eq(conversations.contactId, contact.id), ne(conversations.status, 'resolved')))
    .for('update');
  if (open) return open.id;
  const [created] = await tx
    .insert(conversations)
    .values({ contactId: contact.id, beneficiaryId: contact.beneficiaryId, channel: 'email', state: { language } })
    .returning({ id: conversations.id });
  return created!.id;
}

/**
 * `email.send-link-code`: mails a six-digit code to `emailAddress`. Outcomes: `sent`, `invalid-address`,
 * `same-contact` (asked from that very mailbox), `unavailable` (no email channel), `too-many`.
 */
export function sendLinkCode(opts: { emailEnabled: boolean }): ActionHandler {
  return async (ctx, call) => {
    const address = normaliseAddress(call.frame.data.emailAddress);
    if (!address) return { outcome: 'invalid-address' };
    if (!opts.emailEnabled) return { outcome: 'unavailable' };
    if (ctx.channel === 'email') return { outcome: 'same-contact', outputs: { emailAddress: address } };
    const [{ recent }] = (await ctx.tx
      .select({ recent: sql<number>`count(*)::int` })
      .from(emailLinkCodes)
      .where(and(eq(emailLinkCodes.contactId, ctx.contactId), gt(emailLinkCodes.createdAt, new Date(ctx.now.getTime() - 3_600_000))))) as [{ recent: number }];
    if (recent >= LINK_CODES_PER_HOUR) return { outcome: 'too-many' };

    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const [row] = await ctx.tx
      .insert(emailLinkCodes)
      .values({ beneficiaryId: ctx.beneficiaryId, contactId: ctx.contactId, address, codeHash: '-', expiresAt: new Date(ctx.now.getTime() + LINK_CODE_TTL_MS) })
      .returning({ id: emailLinkCodes.id });
    await ctx.tx.update(emailLinkCodes).set({ codeHash: hashCode(ctx.sealer, row!.id, code) }).where(eq(emailLinkCodes.id, row!.id));

    const contact = await emailContact(ctx.tx, address);
    const conversationId = await openConversation(ctx.tx, contact, call.language);
    const text = ctx.renderer.text(CODE_MAIL_TEMPLATE, call.language, 'email', { code, minutes: LINK_CODE_TTL_MS / 60_000 });
    const mail = await writeOutbound(ctx.tx, { conversationId, channel: 'email', author: 'system', staffId: null, text, language: call.language, template: CODE_MAIL_TEMPLATE });
    return { outcome: 'sent', outputs: { emailAddress: address }, effects: [{ kind: 'send', messageId: mail.id, channel: 'email', conversationId: mail.conversationId }] };
  };
}

/**
 * `email.confirm-link-code`: checks `linkCode` against the latest code this contact asked for. Outcomes:
 * `linked`, `wrong` (with `attemptsLeft`), `expired` (or used up), `kept-apart` (the address's record has its
 * own requests: a researcher decides).
 */
export const confirmLinkCode: ActionHandler = async (ctx, call): Promise<ActionResult> => {
  // A digits answer is kept sealed in the frame (only its mask is in `data`), so the code never sits in clear.
  const sealed = call.frame.sealed.linkCode;
  const typed = sealed ? ctx.sealer.open(sealed) : '';
  const [row] = await ctx.tx
    .select()
    .from(emailLinkCodes)
    .where(and(eq(emailLinkCodes.contactId, ctx.contactId), isNull(emailLinkCodes.usedAt)))
    .orderBy(desc(emailLinkCodes.id))
    .limit(1)
    .for('update');
  if (!row || row.expiresAt <= ctx.now || row.wrongAttempts >= LINK_CODE_MAX_WRONG || row.beneficiaryId !== ctx.beneficiaryId) {
    return { outcome: 'expired' };
  }
  const expected = Buffer.from(row.codeHash, 'hex');
  const given = Buffer.from(hashCode(ctx.sealer, row.id, typed), 'hex');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    const wrong = row.wrongAttempts + 1;
    await ctx.tx.update(emailLinkCodes).set({ wrongAttempts: wrong }).where(eq(emailLinkCodes.id, row.id));
    const attemptsLeft = LINK_CODE_MAX_WRONG - wrong;
    return attemptsLeft > 0 ? { outcome: 'wrong', outputs: { attemptsLeft } } : { outcome: 'expired' };
  }
  await ctx.tx.update(emailLinkCodes).set({ usedAt: ctx.now }).where(eq(emailLinkCodes.id, row.id));
  const linked = await linkEmailContact(ctx.tx, row.address, ctx.beneficiaryId);
  return { outcome: linked ? 'linked' : 'kept-apart', outputs: { emailAddress: row.address } };
};

/** Moves the address's contact and its conversations to `beneficiaryId`; false when its record has requests. */
export async function linkEmailContact(tx: Tx, address: string, beneficiaryId: number): Promise<boolean> {
  const contact = await emailContact(tx, address);
  if (contact.beneficiaryId === beneficiaryId) return true;
  const [{ count }] = (await tx
    .select({ count: sql<number>`count(*)::int` })
    .from(requests)
    .where(eq(requests.beneficiaryId, contact.beneficiaryId))) as [{ count: number }];
  if (count > 0) return false;
  await tx.update(contacts).set({ beneficiaryId }).where(eq(contacts.id, contact.id));
  await tx.update(conversations).set({ beneficiaryId }).where(eq(conversations.contactId, contact.id));
  return true;
}
