/**
 * The engine's memory of one conversation, stored as JSON on the conversation row and parsed on every turn
 * (a row written by an older version must still parse, hence the defaults).
 */
import { z } from 'zod';
import { inboundMediaSchema } from '../messages/inbound-message';

export const frameSchema = z.object({
  flow: z.string(),
  /** Content hash of the flow definition this frame started on; the frame finishes on it. */
  revision: z.string(),
  step: z.string(),
  /** Answers and action outputs, shown to templates. Sensitive answers hold their masked form here. */
  data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** Sensitive answers, sealed (encrypted); never shown, read only by actions. */
  sealed: z.record(z.string(), z.string()).default({}),
  /** Files received for file questions, by variable. */
  files: z.record(z.string(), inboundMediaSchema).default({}),
  /** Ask steps answered, most recent last, for "back". */
  history: z.array(z.string()).default([]),
  /** Set while correcting one answer from a review: where to go once it is answered. */
  returnTo: z.string().nullable().default(null),
  /** Answers in a row that did not fit the current question. */
  attempts: z.number().int().default(0),
  /** After too many misses the beneficiary is asked whether they want a researcher; this is that question. */
  offeringHuman: z.boolean().default(false),
});
export type Frame = z.infer<typeof frameSchema>;

export const conversationStateSchema = z.object({
  language: z.enum(['ar', 'en']).optional(),
  frame: frameSchema.nullable().default(null),
  /** Free-text messages in a row the bot could not place (for "one clarifying question, then a human"). */
  misses: z.number().int().default(0),
});
export type ConversationState = z.infer<typeof conversationStateSchema>;

export function parseConversationState(raw: unknown): ConversationState {
  const parsed = conversationStateSchema.safeParse(raw ?? {});
  // A state we cannot read must not wedge the conversation: start over from the menu, keeping the language.
  if (parsed.success) return parsed.data;
  const language = (raw as { language?: unknown } | null)?.language;
  return { language: language === 'en' || language === 'ar' ? language : undefined, frame: null, misses: 0 };
}
