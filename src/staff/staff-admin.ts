/**
 * What an admin does to staff accounts from the console: list them, switch one off or on, and set a new
 * password. Creating one is staff-repo.ts's `createStaff`. A deactivated account keeps its history (audit
 * trail, ratings) but its sessions and API tokens stop working at once: sign-in, sessions and tokens all
 * look the account up as active.
 */
import { asc, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../store/database';
import { staff, staffSessions } from '../store/schema';
import { hashPassword, MIN_PASSWORD_LENGTH } from './password-hash';

export const newPasswordSchema = z.object({
  password: z.string().min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`).max(200),
});

export interface StaffListing {
  id: number;
  name: string;
  email: string;
  role: 'researcher' | 'supervisor' | 'admin';
  gender: 'female' | 'male' | null;
  team: string | null;
  caseloadLimit: number;
  active: boolean;
}

export async function listAllStaff(db: Db): Promise<StaffListing[]> {
  return db
    .select({ id: staff.id, name: staff.name, email: staff.email, role: staff.role, gender: staff.gender, team: staff.team, caseloadLimit: staff.caseloadLimit, active: staff.active })
    .from(staff)
    .orderBy(desc(staff.active), asc(staff.name));
}

export class StaffAdminError extends Error {
  constructor(
    message: string,
    readonly code: 'STAFF_ERR_NOT_FOUND' | 'STAFF_ERR_SELF',
  ) {
    super(message);
    this.name = 'StaffAdminError';
  }
}

/**
 * Turns an account off or on. An admin cannot switch themselves off (the last admin would lock everyone out).
 * Switching off also ends the account's browser sessions, so a reactivation later needs a fresh sign-in.
 */
export async function setStaffActive(db: Db, actorId: number, staffId: number, active: boolean): Promise<void> {
  if (!active && actorId === staffId) throw new StaffAdminError('you cannot deactivate your own account', 'STAFF_ERR_SELF');
  const rows = await db.update(staff).set({ active }).where(eq(staff.id, staffId)).returning({ id: staff.id });
  if (rows.length === 0) throw new StaffAdminError(`no staff member ${staffId}`, 'STAFF_ERR_NOT_FOUND');
  if (!active) await db.delete(staffSessions).where(eq(staffSessions.staffId, staffId));
}

/** Sets a new password (argon2id) and signs the person out everywhere, since the old one may be known. */
export async function resetStaffPassword(db: Db, staffId: number, password: string): Promise<void> {
  const { password: plain } = newPasswordSchema.parse({ password });
  const rows = await db.update(staff).set({ passwordHash: await hashPassword(plain) }).where(eq(staff.id, staffId)).returning({ id: staff.id });
  if (rows.length === 0) throw new StaffAdminError(`no staff member ${staffId}`, 'STAFF_ERR_NOT_FOUND');
  await db.delete(staffSessions).where(eq(staffSessions.staffId, staffId));
}
