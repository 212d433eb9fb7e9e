/**
 * Who may do what in the console. Three roles, ordered: a supervisor can do all a researcher can, an admin all
 * a supervisor can. Per-staff ratings and other people's audit trail are for supervisors only (policy practice 3:
 * ratings are "a tool for improvement, not for punishment").
 */
import { z } from 'zod';

export const staffRoles = ['researcher', 'supervisor', 'admin'] as const;
export const staffRoleSchema = z.enum(staffRoles);
export type StaffRole = z.infer<typeof staffRoleSchema>;

export const staffGenderSchema = z.enum(['female', 'male']);
export type StaffGender = z.infer<typeof staffGenderSchema>;

/** The signed-in person, as every console route sees them. */
export const staffPrincipalSchema = z.object({
  id: z.number().int(),
  email: z.string(),
  name: z.string(),
  role: staffRoleSchema,
  gender: staffGenderSchema.nullable(),
  team: z.string().nullable(),
  caseloadLimit: z.number().int(),
  /** How the request authenticated: a browser session (CSRF applies) or an integration's bearer token. */
  via: z.enum(['session', 'token']),
});
export type StaffPrincipal = z.infer<typeof staffPrincipalSchema>;

const rank: Record<StaffRole, number> = { researcher: 0, supervisor: 1, admin: 2 };

/** True when `role` is at least `needed`. */
export function hasRole(role: StaffRole, needed: StaffRole): boolean {
  return rank[role] >= rank[needed];
}
