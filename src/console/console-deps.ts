/** What the console needs from the composition root (src/app/start-wasl.ts). */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Env } from '../config/env-schema';
import type { Content } from '../content/load-content';
import type { SurveySubject } from '../conversations/conversation-ops';
import type { DocumentStore } from '../documents/document-store';
import type { EventCounters } from '../observability/event-counters';
import type { Sealer } from '../identity/sealed-value';
import type { TurnServices } from '../pipeline/engine-deps';
import type { Queues } from '../queue/queues';
import type { Db } from '../store/database';
import type { ReplyRenderer } from '../templating/render-reply';

export interface ConsoleDeps {
  env: Env;
  log: Logger;
  db: Db;
  redis: Redis;
  queues: Queues;
  content: Content;
  renderer: ReplyRenderer;
  sealer: Sealer;
  documents: DocumentStore;
  clock?: () => Date;
  /** The engine's services, so handing back into a flow sends its first question at once; absent = on the next message. */
  engine?: TurnServices;
  /** Replaces surveys/schedule-survey.ts (tests that must not schedule); default: the real one. */
  scheduleSurvey?: (subject: SurveySubject) => Promise<void>;
  /** Where a hand-back that hands off again is counted for /metrics; absent = not counted. */
  counters?: Pick<EventCounters, 'handoff'>;
  /** How often the escalation watcher's safety-net poll runs (escalations are pushed). @defaultValue 30000 */
  watchEveryMs?: number;
  /** Sign-in limits. @defaultValue 5 per account, 20 per IP, per 15 minutes */
  loginLimits?: { perAccount?: number; perIp?: number; windowSeconds?: number };
}
