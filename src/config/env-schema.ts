/**
 * The environment Wasl reads — the only place that knows `process.env` exists.
 * Every variable is listed with its default in `.env.example`; a test keeps the two in step.
 */
import { z } from 'zod';

export const roleNames = ['web', 'engine', 'outbound', 'surveys', 'whatsapp'] as const;
export type RoleName = (typeof roleNames)[number];

const booleanString = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('HTTP port of the web role (0 = any free port)'),
  HOST: z.string().min(1).default('127.0.0.1').describe('interface the web role listens on'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]+$/i, 'letters, digits, - and _ only')
    .default('wasl')
    .describe('Redis key prefix of every BullMQ queue'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// (leave it empty to use the embedded PGlite)')
    .optional()
    .describe('PostgreSQL server; unset = embedded PGlite in DATA_DIR'),
  DATA_DIR: z.string().min(1).default('./data'),
  FLOWS_DIR: z.string().min(1).default('./flows'),
  TEMPLATES_DIR: z.string().min(1).default('./templates'),
  ROLES: z
    .string()
    .default('all')
    .transform((v, ctx) => {
      const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
      if (parts.length === 1 && parts[0] === 'all') return roleNames.filter((r) => r !== 'whatsapp');
      const unknown = parts.filter((p) => !(roleNames as readonly string[]).includes(p));
      if (unknown.length || parts.length === 0) {
        ctx.addIssue({ code: 'custom', message: `unknown role(s) "${unknown.join(',')}"; use "all" or a comma list of ${roleNames.join(', ')}` });
        return z.NEVER;
      }
      return parts as RoleName[];
    }),
  SECRET_KEY: z
    .string()
    .regex(/^[0-9a-f]{64}$/i, 'must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`')
    .optional()
    .describe('encrypts national ID numbers at rest; generated into DATA_DIR on first start when unset (PGlite only)'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ENGINE_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  CLI_CHANNEL_ENABLED: booleanString.default(true).describe('the terminal channel used by `npm run chat`'),
  WASL_URL: z.url().default('http://127.0.0.1:3000').describe('where `npm run chat` finds the server'),
});

export type Env = z.infer<typeof envSchema>;
