import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { faqFileSchema, type FaqFile } from './faq-schema';
import { intentsFileSchema, type IntentsFile } from './intents-schema';

/** A YAML file of the NLU knowledge failed to parse or validate. */
export class NluFileError extends Error {
  readonly code = 'NLU_FILE_INVALID';
  constructor(
    readonly file: string,
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`${file} is invalid:\n  ${issues.join('\n  ')}`, options);
    this.name = 'NluFileError';
  }
}

function loadYaml<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new NluFileError(file, [cause instanceof Error ? cause.message : String(cause)], { cause });
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new NluFileError(
      file,
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

/** Reads and validates `intents.yaml` and `faq.yaml` from a flows directory. */
export function loadNluFiles(flowsDir: string): { intents: IntentsFile; faq: FaqFile } {
  return {
    intents: loadYaml(path.join(flowsDir, 'intents.yaml'), intentsFileSchema),
    faq: loadYaml(path.join(flowsDir, 'faq.yaml'), faqFileSchema),
  };
}
