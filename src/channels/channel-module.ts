/**
 * How a channel plugs into Wasl. To add one: create `channels/<name>/` exporting a `ChannelModule`, add its
 * settings to `config/env-schema.ts` (and `.env.example`), and list it in `channels/registry.ts`. The engine
 * never learns a channel's name: it only sees `InboundMessage`s coming in through `ingest` and hands rendered
 * replies to the channel's `adapter.send` through the channel's outbound queue.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Env, RoleName } from '../config/env-schema';
import type { Content } from '../content/load-content';
import type { DocumentStore } from '../documents/document-store';
import type { InboundMessageInput } from '../messages/inbound-message';
import type { EventCounters } from '../observability/event-counters';
import type { ChannelName } from '../messages/channel-name';
import type { IngestResult } from '../pipeline/ingest';
import type { Queues } from '../queue/queues';
import type { Db } from '../store/database';
import type { RatingLinks } from '../surveys/rating-links';
import type { ChannelAdapter } from './channel-adapter';

export interface ChannelContext {
  env: Env;
  roles: readonly RoleName[];
  log: Logger;
  db: Db;
  redis: Redis;
  queues: Queues;
  content: Content;
  documents: DocumentStore;
  /** Signs survey star links (email); see surveys/rating-links.ts. */
  ratingLinks: RatingLinks;
  /**
   * The deployment's secret key (SECRET_KEY or DATA_DIR/secret.key). A channel derives a key of its own from it
   * with an HMAC over a label (channels/cli/cli-token.ts), never uses it as is.
   */
  secretKey: string;
  /** Store an inbound message once and ask for a drain; never answer inside a handler. */
  ingest(message: InboundMessageInput): Promise<IngestResult>;
  /** Counts a staff takeover outside Wasl (WhatsApp from the phone) as a handoff for /metrics; absent = not counted. */
  counters?: Pick<EventCounters, 'handoff'>;
}

export interface ChannelRuntime {
  /** Sends replies; used by the outbound worker of this channel. */
  adapter: ChannelAdapter;
  /**
   * The role whose process runs this channel's outbound worker. A channel whose sends need a live session in
   * one process (WhatsApp Web) sends from that process's role.
   * @defaultValue 'outbound'
   */
  outboundRole?: RoleName;
  /** Webhooks and other HTTP routes, registered on the web role's server. */
  registerRoutes?(app: FastifyInstance): Promise<void>;
  /**
   * Whether the channel can deliver right now (the WhatsApp session is connected, Telegram's Bot API answers),
   * for `/readyz` and `/metrics`, polled every few seconds: answer from what the channel already knows, and
   * rate-limit any call to the provider (channel-readiness.ts). `state` is `ok` or the reason, with no secret in
   * it. Channels with no provider to reach (the terminal and web chat) leave it out.
   */
  readiness?(): Promise<{ ready: boolean; state: string }>;
  /**
   * The fixed set `state` is drawn from, when it is one (the WhatsApp session's states): those stay the
   * `wasl_ready` label. Any other state — a reason in words — is labelled only `ok` or `failing`, since every
   * distinct label value is a new Prometheus time series.
   */
  readinessStates?: readonly string[];
  /** Long-lived ingress (a poller, a gateway session), started in the role(s) the channel chooses. */
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export interface ChannelModule {
  readonly channel: ChannelName;
  /** Whether this deployment uses the channel (e.g. a token is configured). */
  enabled(env: Env): boolean;
  create(ctx: ChannelContext): Promise<ChannelRuntime>;
}
