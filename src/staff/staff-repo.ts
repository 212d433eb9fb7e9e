/** Staff accounts: creation (by `npm run staff:add` or an admin) and look-ups for sign-in and routing. */
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../store/database';
import { staff } from '../store/schema';
import { hashPassword, MIN_PASSWORD_LENGTH } from './password-hash';
import { staffGenderSchema, staffRoleSchema } from './staff-roles';

export const newStaffSchema = z.object({
  email: z.email().transform((e) => e.toLowerCase()),
  name: z.string().trim().min(2).max(120),
  password: z.string().min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`).max(200),
  role: staffRoleSchema,
  gender: staffGenderSchema.nullable().default(null),
  team: z.string().trim().min(1).max(60).nullable().default(null),
  caseloadLimit: z.number().int().min(1).max(500).default(10),
});
export type NewStaff = z.input<typeof newStaffSchema>;
export type StaffRow = typeof staff.$inferSelect;

export class StaffExistsError extends Error {
  readonly code = 'STAFF_ERR_EXISTS';
  constructor(readonly email: string) {
    super(`a staff account with e-mail ${email} already exists`);
    this.name = 'StaffExistsError';
  }
}

/** Creates an account; the password is stored only as an argon2id hash. */
export async function createStaff(db: DbOrTx, input: NewStaff): Promise<StaffRow> {
  const s = newStaffSchema.parse(input);
  const [existing] = await db.select({ id: staff.id }).from(staff).where(eq(staff.email, s.email)).limit(1);
  if (existing) throw new StaffExistsError(s.email);
  const [row] = await db
    .insert(staff)
    .values({
      email: s.email,
      name: s.name,
      passwordHash: await hashPassword(s.password),
      role: s.role,
      gender: s.gender,
      team: s.team,
      caseloadLimit: s.caseloadLimit,
    })
    .returning();
  return row!;
}

export async function findActiveStaffByEmail(db: DbOrTx, email: string): Promise<StaffRow | undefined> {
  const [row] = await db
    .select()
    .from(staff)
    .where(and(eq(sql`lower(${staff.email})`, email.toLowerCase()), eq(staff.active, true)))
    .limit(1);
  return row;
}

export async function findActiveStaff(db: DbOrTx, id: number): Promise<StaffRow | undefined> {
  const [row] = await db.select().from(staff).where(and(eq(staff.id, id), eq(staff.active, true))).limit(1);
  return row;
}
