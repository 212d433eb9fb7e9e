/**
 * The safety net behind the triggers. The console calls `surveyServedRequest` after marking a request served,
 * but a crash between that commit and the call, or a status set by any other path (an import, SQL by an
 * admin), would lose the survey. So the surveys role also reads `request_status_history` for recent `served`
 * rows without a survey and schedules them — idempotent with the direct call, so both may happen. The same
 * sweep finds bot-only conversations that ended with an answer, when the profile enables those surveys.
 */
import { sql, type SQL } from 'drizzle-orm';
import { scheduleSurvey, type ScheduleSurveyDeps } from './schedule-survey';
import { serviceConversationOf } from './survey-triggers';

const BATCH = 500;
/** A bot-only conversation counts as ended after this much silence following the bot's answer. */
const BOT_ONLY_QUIET_MINUTES = 120;

export async function sweepSurveyTriggers(deps: ScheduleSurveyDeps): Promise<{ served: number; botOnly: number }> {
  const now = (deps.clock ?? (() => new Date()))();
  const since = new Date(now.getTime() - deps.organisation.surveys.expiryHours * 3_600_000);
  const served = await rowsOf<{ request_id: string | number; actor_staff_id: string | number | null; at: string | Date }>(deps, sql`
    select distinct on (h.request_id) h.request_id, h.actor_staff_id, h.at
    from request_status_history h
    left join surveys s on s.subject_kind = 'request' and s.subject_id = h.request_id::text
    where h.to_status = 'served' and s.id is null and h.at > ${since.toISOString()}::timestamptz
    order by h.request_id, h.at desc
    limit ${BATCH}`);
  let servedCount = 0;
  for (const row of served) {
    const requestId = Number(row.request_id);
    const conversationId = await serviceConversationOf(deps.db, requestId);
    if (!conversationId) continue;
    await scheduleSurvey(
      deps,
      { kind: 'request', id: requestId, conversationId, staffId: row.actor_staff_id === null ? null : Number(row.actor_staff_id) },
      { trigger: 'request-served', servedAt: new Date(row.at) },
    );
    servedCount++;
  }

  let botOnly = 0;
  if (deps.organisation.surveys.botOnlySurveys) {
    const quietSince = new Date(now.getTime() - BOT_ONLY_QUIET_MINUTES * 60_000);
    // Never handed to a person, no flow running, silent for a while, and the bot answered something in it.
    const ended = await rowsOf<{ id: string | number }>(deps, sql`
      select c.id from conversations c
      left join surveys s on s.subject_kind = 'conversation' and s.subject_id = c.id::text
      where s.id is null and c.status = 'bot' and c.handed_off_at is null and c.assignee_staff_id is null
        and (c.state->'frame' is null or c.state->'frame' = 'null'::jsonb)
        and c.updated_at < ${quietSince.toISOString()}::timestamptz and c.updated_at > ${since.toISOString()}::timestamptz
        and exists (select 1 from messages m where m.conversation_id = c.id and m.direction = 'out'
                    and m.payload->>'template' in ('common.faq-answer', 'status.details'))
      limit ${BATCH}`);
    for (const row of ended) {
      const id = Number(row.id);
      await scheduleSurvey(deps, { kind: 'conversation', id, conversationId: id, staffId: null }, { trigger: 'bot-answered', delayMinutes: 0 });
      botOnly++;
    }
  }
  return { served: servedCount, botOnly };
}

/** Both drivers (PGlite, node-postgres) answer `execute` with `{ rows }`. */
async function rowsOf<T>(deps: Pick<ScheduleSurveyDeps, 'db'>, query: SQL): Promise<T[]> {
  const result = (await deps.db.execute(query)) as { rows: T[] };
  return result.rows;
}
