/**
 * The shape of `flows/*.flow.yaml`. Flow logic is data (Typebot-style conditions), never code in strings,
 * so the loader can check every reference before the first message arrives.
 */
import { z } from 'zod';

const id = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'ids are kebab-case (a-z, 0-9, -)');
/** A template key such as `intake.ask-name`. */
export const templateKeySchema = z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'template keys look like "group.key"');
/** A data variable saved by an ask step, e.g. `familySize`. */
const varName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/, 'variable names are camelCase letters and digits');
/** Where to go next: a step of this flow, or `end`. */
const next = id;

const choiceOptionSchema = z.strictObject({
  value: z.string().regex(/^[a-z0-9-]+$/, 'option values are kebab-case'),
  label: templateKeySchema,
  /** Extra words (any language) that pick this option, besides its number and label. */
  words: z.array(z.string().min(1)).default([]),
  /** Intents (from the Arabic-understanding module) that pick this option when the text is free. */
  intents: z.array(z.string()).default([]),
  next: next.optional(),
});
export type ChoiceOption = z.infer<typeof choiceOptionSchema>;

export const expectSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('text'), minLength: z.number().int().min(1).default(1), maxLength: z.number().int().max(4000).default(1000) }),
  z.strictObject({ kind: z.literal('name') }),
  z.strictObject({
    kind: z.literal('number'),
    min: z.number(),
    max: z.number(),
    integer: z.boolean().default(true),
  }),
  z.strictObject({ kind: z.literal('national-id') }),
  z.strictObject({ kind: z.literal('mobile') }),
  z.strictObject({ kind: z.literal('date'), past: z.boolean().optional() }),
  /** A request reference number; with `allowMine`, the words for "my requests" (commands.yaml `mine`) save `mine`. */
  z.strictObject({ kind: z.literal('reference'), allowMine: z.boolean().default(false) }),
  z.strictObject({ kind: z.literal('digits'), length: z.number().int().min(1).max(20) }),
  z.strictObject({ kind: z.literal('choice'), options: z.array(choiceOptionSchema).min(1).max(12) }),
  z.strictObject({
    kind: z.literal('file'),
    accept: z.array(z.string()).default(['image/jpeg', 'image/png', 'application/pdf']),
    maxBytes: z.number().int().positive().default(10 * 1024 * 1024),
  }),
]);
export type Expectation = z.infer<typeof expectSchema>;

const comparisonSchema = z.strictObject({
  var: varName,
  op: z.enum(['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'exists', 'missing']),
  value: z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]).optional(),
});
export type Comparison = z.infer<typeof comparisonSchema>;
export const conditionSchema = z.union([
  comparisonSchema,
  z.strictObject({ all: z.array(comparisonSchema).min(1) }),
  z.strictObject({ any: z.array(comparisonSchema).min(1) }),
]);
export type Condition = z.infer<typeof conditionSchema>;

const sayStep = z.strictObject({
  type: z.literal('say'),
  template: templateKeySchema,
  next,
});
const askStep = z.strictObject({
  type: z.literal('ask'),
  template: templateKeySchema,
  expect: expectSchema,
  saveAs: varName,
  /** Said before the question is repeated after an answer that does not fit. */
  invalid: templateKeySchema.optional(),
  /** After this many answers that do not fit in a row, the beneficiary is offered a researcher. */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  /** Words that skip an optional question, leaving the variable unset. */
  skippable: z.boolean().default(false),
  /** Skip the question when the variable is already known (e.g. a reference number found in the first message). */
  skipIfSet: z.boolean().default(false),
  next,
});
const branchStep = z.strictObject({
  type: z.literal('branch'),
  cases: z.array(z.strictObject({ when: conditionSchema, next })).min(1),
  otherwise: next,
});
const actionStep = z.strictObject({
  type: z.literal('action'),
  action: z.string().regex(/^[a-z]+(\.[a-z-]+)?$/, 'action names look like "requests.create"'),
  /** Fixed arguments of the action, e.g. `{ reason: complaint }` for a handoff. */
  with: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** Where each outcome of the action leads; `next` catches any outcome not listed. */
  outcomes: z.record(z.string(), next).default({}),
  next: next.optional(),
});
const reviewStep = z.strictObject({
  type: z.literal('review'),
  template: templateKeySchema,
  fields: z
    .array(z.strictObject({ var: varName, label: templateKeySchema, step: id }))
    .min(1),
  next,
});
const gotoFlowStep = z.strictObject({ type: z.literal('flow'), flow: id });
const endStep = z.strictObject({ type: z.literal('end'), template: templateKeySchema.optional() });

export const stepSchema = z.discriminatedUnion('type', [sayStep, askStep, branchStep, actionStep, reviewStep, gotoFlowStep, endStep]);
export type Step = z.infer<typeof stepSchema>;
export type StepOf<T extends Step['type']> = Extract<Step, { type: T }>;

export const flowSchema = z.strictObject({
  /** File-format version; a later format goes through a migration, as Typebot's schemas do. */
  format: z.literal(1),
  id,
  description: z.string().optional(),
  start: id,
  steps: z.record(id, stepSchema),
});
export type Flow = z.infer<typeof flowSchema>;

/** The step id that means "this flow is over". */
export const END = 'end';
