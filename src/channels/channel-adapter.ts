/**
 * How to add a channel: create `channels/<name>/` with an adapter implementing `ChannelAdapter`, a README with
 * what it can send and receive, and register it in `channels/registry.ts`. Inbound traffic goes through
 * `ingest()` (never answered in the handler); outbound traffic arrives here from the channel's queue.
 */
import type { ChannelName } from '../messages/channel-name';

export interface ChannelCapabilities {
  /** Longest text one provider message may carry; longer replies are split. */
  maxTextLength: number;
  /** How choices are shown: real buttons, or a numbered list the beneficiary answers by digit or word. */
  choices: 'buttons' | 'numbered';
  /**
   * Provider limit for the channel's outbound queue (BullMQ limiter, global across workers); `null` where the
   * "provider" is Wasl's own web role (website chat, terminal), which has no limit to respect.
   */
  rateLimit: { max: number; durationMs: number } | null;
}

/** One reply, rendered, addressed to one person on one channel. */
export interface OutboundEnvelope {
  messageId: number;
  conversationId: number;
  channelUserId: string;
  text: string;
  choices: { number: number; value: string; label: string }[];
  language: 'ar' | 'en';
  /** The template the text was rendered from, when there is one (a channel may dress some prompts up, e.g. stars). */
  template?: string;
  /** A file a researcher sends; each channel sends it natively or as a download link (src/messages/file-delivery.ts). */
  attachment?: EnvelopeAttachment;
}

export interface EnvelopeAttachment {
  fileName: string;
  mimeType: string;
  sizeBytes: number;
  /** The download link's path on the web role (`/api/files/…`), for channels that send a link. */
  downloadPath: string;
  /** The file's bytes, read from the document store when a channel sends the file itself. */
  content(): Promise<Buffer>;
}

export interface DeliveryReceipt {
  providerMessageId: string;
  /**
   * Set when the reply went out on another channel than its own (a WhatsApp status notice sent by SMS while the
   * session was down): the message row is re-labelled with that channel and text, so the history shows what the
   * beneficiary really received and that channel's delivery reports find it.
   */
  via?: { channel: ChannelName; text: string; reason: string };
}

/**
 * What a `retryAfterMs` holds back: the whole channel queue (the provider's global limit, a session that is
 * down) or only this message (one chat's limit), so other recipients keep receiving theirs.
 */
export type RetryScope = 'channel' | 'message';

/** A failed send; `retryable` decides between another attempt with backoff and failing the message now. */
export class ChannelDeliveryError extends Error {
  /** @defaultValue 'channel' */
  readonly retryScope: RetryScope;
  /** The HTTP status the provider answered with, when it answered (absent for network errors and timeouts). */
  readonly status?: number;

  constructor(
    message: string,
    readonly channel: ChannelName,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown; retryScope?: RetryScope; status?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChannelDeliveryError';
    this.retryScope = options?.retryScope ?? 'channel';
    if (options?.status !== undefined) this.status = options.status;
  }
}

export interface ChannelAdapter {
  readonly channel: ChannelName;
  readonly capabilities: ChannelCapabilities;
  send(message: OutboundEnvelope): Promise<DeliveryReceipt>;
}
