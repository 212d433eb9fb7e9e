/**
 * Every flow revision is kept in the database, so a conversation that started on yesterday's intake finishes
 * on yesterday's intake even after the organisation edits the file and restarts.
 */
import type { FlowCatalog } from '../engine/flow-catalog';
import { flowSchema } from '../engine/flow-schema';
import type { Db } from './database';
import { flowRevisions } from './schema';

export async function syncFlowRevisions(db: Db, catalog: FlowCatalog): Promise<{ known: number }> {
  const current = [...catalog.current.values()];
  if (current.length) {
    await db
      .insert(flowRevisions)
      .values(current.map((f) => ({ flowId: f.flow.id, revision: f.revision, definition: f.flow })))
      .onConflictDoNothing();
  }
  const rows = await db.select().from(flowRevisions);
  for (const row of rows) {
    const parsed = flowSchema.safeParse(row.definition);
    // A revision written by a newer Wasl with a format we do not read stays in the database, unused here.
    if (parsed.success) catalog.addRevision(row.flowId, row.revision, parsed.data);
  }
  return { known: rows.length };
}
