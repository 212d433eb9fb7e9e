/**
 * Who is looking at a report. The staff console's authentication preHandler sets `request.staff` to this shape;
 * reports use only the role. Policy practice 3: staff-level scores are for supervisors (and admins) only.
 */
import { z } from 'zod';

export const staffRoles = ['researcher', 'supervisor', 'admin'] as const;
export const staffViewerSchema = z.object({ id: z.number().int().positive(), role: z.enum(staffRoles) });
export type StaffViewer = z.infer<typeof staffViewerSchema>;

/**
 * The console's preHandler sets `request.staff`; read it through this type rather than augmenting
 * FastifyRequest here, so the console stays free to declare its own, wider session type.
 */
export type RequestWithStaff = { staff?: unknown };

/** Per-researcher figures and follow-up tasks (which name the researcher) are for supervisors and admins. */
export function canSeeStaffFigures(viewer: Pick<StaffViewer, 'role'>): boolean {
  return viewer.role === 'supervisor' || viewer.role === 'admin';
}
