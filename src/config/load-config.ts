/** Parses the environment once; a wrong value stops start-up naming the variable and what is wrong with it. */
import { envSchema, type Env } from './env-schema';

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; reason: string }[]) {
    super(`invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.reason}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  // An empty value means "not set": `DATABASE_URL=` in a .env file must select PGlite, not fail validation.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => ({ variable: String(i.path[0] ?? '(env)'), reason: i.message })));
  }
  return Object.freeze(result.data);
}
