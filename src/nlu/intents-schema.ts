import { z } from 'zod';
import { intentNames } from './intent-names';

const trainingLineSchema = z.string().trim().min(1, 'empty training line');

/**
 * A combination is urgent when the message contains at least one phrase from every group, e.g.
 * [["ما عندنا اكل"], ["عيال", "اطفال"]].
 */
export const urgentCombinationSchema = z.array(z.array(z.string().trim().min(1)).min(1)).min(2);

/** Keyword safety net for crises, editable by the organisation (see the header of flows/intents.yaml). */
export const urgentPatternsSchema = z.object({
  phrases: z.array(z.string().trim().min(2)).default([]),
  combinations: z.array(urgentCombinationSchema).default([]),
});
export type UrgentPatterns = z.infer<typeof urgentPatternsSchema>;

/**
 * `flows/intents.yaml`: training lines per intent (every intent must have some) plus the urgent patterns.
 * Unknown intent names are rejected so a typo cannot silently drop training data.
 */
export const intentsFileSchema = z.object({
  version: z.literal(1),
  intents: z.record(z.enum(intentNames), z.array(trainingLineSchema).min(1)).superRefine((intents, ctx) => {
    for (const name of intentNames) {
      if (!intents[name]) ctx.addIssue({ code: 'custom', message: `intent "${name}" has no training lines`, path: [name] });
    }
  }),
  urgent: urgentPatternsSchema,
});
export type IntentsFile = z.infer<typeof intentsFileSchema>;
