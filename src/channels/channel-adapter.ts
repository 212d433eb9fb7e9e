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
  /** Provider limit for the channel's outbound queue (BullMQ limiter, global across workers). */
  rateLimit: { max: number; durationMs: number };
}

/** One reply, rendered, addressed to one person on one channel. */
export interface OutboundEnvelope {
  messageId: number;
  conversationId: number;
  channelUserId: string;
  text: string;
  choices: { number: number; value: string; label: string }[];
  language: 'ar' | 'en';
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
}

/** A failed send; `retryable` decides between another attempt with backoff and failing the message now. */
export class ChannelDeliveryError extends Error {
  constructor(
    message: string,
    readonly channel: ChannelName,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ChannelDeliveryError';
  }
}

export interface ChannelAdapter {
  readonly channel: ChannelName;
  readonly capabilities: ChannelCapabilities;
  send(message: OutboundEnvelope): Promise<DeliveryReceipt>;
}
