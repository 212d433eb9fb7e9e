import { z } from 'zod';

/**
 * The `handoff` section of the organisation profile: when the bot answers, asks one clarifying
 * question, or hands the conversation to a person.
 */
export const handoffPolicySchema = z.object({
  /**
   * Below this intent confidence the bot asks one clarifying question offering the top two intents.
   * @defaultValue 0.4
   */
  clarifyBelow: z.number().min(0).max(1).default(0.4),
  /**
   * An FAQ answer is sent only when the FAQ match confidence is at least this; otherwise the bot clarifies.
   * @defaultValue 0.5
   */
  answerAbove: z.number().min(0).max(1).default(0.5),
  /**
   * The classifier's urgent_human probability at or above which a message is urgent even when another
   * intent scores higher. Kept low on purpose: a false alarm costs a staff minute.
   * @defaultValue 0.25
   */
  urgentProbabilityAbove: z.number().min(0).max(1).default(0.25),
  /** Extra crisis phrases for this organisation, added to `urgent.phrases` of flows/intents.yaml. @defaultValue [] */
  extraUrgentKeywords: z.array(z.string().trim().min(2)).default([]),
});
export type HandoffPolicy = z.infer<typeof handoffPolicySchema>;

/** The policy with every default applied. */
export const defaultHandoffPolicy: HandoffPolicy = handoffPolicySchema.parse({});
