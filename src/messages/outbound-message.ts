/**
 * A reply as the engine decides it (template + values) and as stored and sent (rendered text + choices).
 * Rendering happens once, at decision time, in the conversation's language and with the channel's variant,
 * so the history shows exactly what the beneficiary was sent.
 */
import { z } from 'zod';

/** A value for a template variable; `{ t: key }` is itself rendered from a template (a status label, a choice label). */
export const templateParamSchema = z.union([z.string(), z.number(), z.date(), z.object({ t: z.string() })]);
export type TemplateParam = z.infer<typeof templateParamSchema>;

const templateRefSchema = z.object({
  template: z.string(),
  params: z.record(z.string(), templateParamSchema).default({}),
});

/** What the engine emits. */
export const replySchema = templateRefSchema.extend({
  /** Further lines appended to the same message (a review list, a list of requests). */
  lines: z.array(templateRefSchema).default([]),
  /** Choices offered with this message; labels are template keys. */
  choices: z.array(z.object({ value: z.string(), label: z.string() })).default([]),
});
export type Reply = z.infer<typeof replySchema>;
export type ReplyInput = z.input<typeof replySchema>;

/**
 * A file a researcher sends with a message, kept in the document store. `token` (random, 32 bytes) makes the
 * download link of channels that send a link instead of the file (src/documents/attachment-links.ts).
 */
export const outboundAttachmentSchema = z.object({
  storageKey: z.string().regex(/^[0-9a-f]{64}$/),
  fileName: z.string().min(1).max(200),
  mimeType: z.string().min(1),
  sizeBytes: z.number().int().positive(),
  token: z.string().regex(/^[0-9a-f]{64}$/),
});
export type OutboundAttachment = z.infer<typeof outboundAttachmentSchema>;

/** What is stored in `messages.payload` for an outbound message. */
export const outboundPayloadSchema = z.object({
  template: z.string().optional(),
  choices: z.array(z.object({ number: z.number().int(), value: z.string(), label: z.string() })).default([]),
  language: z.enum(['ar', 'en']),
  /**
   * The same notice rendered with the template's `@sms` variant, written beside time-critical notices (a
   * request's status change) so it can go by SMS if its own channel cannot deliver in time.
   */
  smsText: z.string().optional(),
  /** Set when the message went out on another channel than the conversation's (see DeliveryReceipt.via). */
  fallback: z.object({ from: z.string(), reason: z.string() }).optional(),
  attachment: outboundAttachmentSchema.optional(),
});
export type OutboundPayload = z.infer<typeof outboundPayloadSchema>;
