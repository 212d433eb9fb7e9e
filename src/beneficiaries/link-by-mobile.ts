/**
 * One beneficiary across channels, but never merged on a guess: a contact joins an existing beneficiary only
 * through a mobile number its channel proved (the WhatsApp sender, a Telegram contact shared by its owner),
 * matching either another contact's proven number or the mobile the beneficiary gave in intake — and only
 * when exactly one beneficiary matches.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Tx } from '../store/database';
import { beneficiaries, contacts, conversations, requests } from '../store/schema';

export async function findBeneficiaryByMobile(tx: Tx, mobile: string, except?: number): Promise<number | null> {
  const viaContacts = await tx
    .selectDistinct({ id: contacts.beneficiaryId })
    .from(contacts)
    .where(and(eq(contacts.verifiedMobile, mobile), except ? ne(contacts.beneficiaryId, except) : undefined));
  if (viaContacts.length === 1) return viaContacts[0]!.id;
  if (viaContacts.length > 1) return null;
  const viaIntake = await tx
    .select({ id: beneficiaries.id })
    .from(beneficiaries)
    .where(and(eq(beneficiaries.mobile, mobile), except ? ne(beneficiaries.id, except) : undefined))
    .limit(2);
  return viaIntake.length === 1 ? viaIntake[0]!.id : null;
}

/**
 * Records a newly proven number on an existing contact and, when the contact's own beneficiary record is still
 * empty (no requests), moves the contact and its conversations to the beneficiary that number belongs to.
 */
export async function attachVerifiedMobile(tx: Tx, contactId: number, mobile: string): Promise<{ linkedTo: number | null }> {
  const [contact] = await tx.select().from(contacts).where(eq(contacts.id, contactId));
  if (!contact) return { linkedTo: null };
  await tx.update(contacts).set({ verifiedMobile: mobile }).where(eq(contacts.id, contactId));
  const target = await findBeneficiaryByMobile(tx, mobile, contact.beneficiaryId);
  if (!target) return { linkedTo: null };
  const [{ count }] = (await tx
    .select({ count: sql<number>`count(*)::int` })
    .from(requests)
    .where(eq(requests.beneficiaryId, contact.beneficiaryId))) as [{ count: number }];
  // A record with its own requests is a real person's history: joining it to another needs a researcher.
  if (count > 0) return { linkedTo: null };
  await tx.update(contacts).set({ beneficiaryId: target }).where(eq(contacts.id, contactId));
  await tx.update(conversations).set({ beneficiaryId: target }).where(eq(conversations.contactId, contactId));
  return { linkedTo: target };
}
