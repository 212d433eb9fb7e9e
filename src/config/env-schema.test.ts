import { readFileSync } from 'node:fs';
import path from 'node:path';
import { envSchema, roleNames } from './env-schema';
import { ConfigError, loadEnv } from './load-config';

/** The error loadEnv throws for `source`, or a failure when it does not throw one. */
function configError(source: Record<string, string | undefined>): ConfigError {
  try {
    loadEnv(source);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(source)}`);
}

describe('loadEnv', () => {
  test('an empty environment gives the documented defaults', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      HOST: '127.0.0.1',
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'wasl',
      DATA_DIR: './data',
      FLOWS_DIR: './flows',
      TEMPLATES_DIR: './templates',
      LOG_LEVEL: 'info',
      CLI_CHANNEL_ENABLED: true,
      WASL_URL: 'http://127.0.0.1:3000',
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.SECRET_KEY).toBeUndefined();
    expect(Object.isFrozen(env)).toBe(true);
  });

  test('values are coerced to their types', () => {
    const env = loadEnv({ PORT: '0', ENGINE_CONCURRENCY: '32', CLI_CHANNEL_ENABLED: '0', DATABASE_URL: 'postgresql://u@h:5432/db' });
    expect(env.PORT).toBe(0);
    expect(env.ENGINE_CONCURRENCY).toBe(32);
    expect(env.CLI_CHANNEL_ENABLED).toBe(false);
    expect(env.DATABASE_URL).toBe('postgresql://u@h:5432/db');
  });

  test.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['REDIS_URL', 'http://x'],
    ['REDIS_URL', 'not a url'],
    ['ROLES', 'web,foo'],
    ['ROLES', ','],
    ['SECRET_KEY', 'short'],
    ['SECRET_KEY', 'g'.repeat(64)],
    ['DATABASE_URL', 'mysql://u:p@127.0.0.1:3306/wasl'],
    ['QUEUE_PREFIX', 'has:colon'],
    ['LOG_LEVEL', 'verbose'],
    ['ENGINE_CONCURRENCY', '0'],
    ['CLI_CHANNEL_ENABLED', 'yes'],
    ['NODE_ENV', 'staging'],
  ])('%s=%j is a ConfigError naming the variable', (variable, value) => {
    const err = configError({ [variable]: value });
    expect(err.issues.map((i) => i.variable)).toEqual([variable]);
    expect(err.message).toContain(variable);
    expect(err.issues[0]!.reason.length).toBeGreaterThan(0);
  });

  test('every wrong variable is named at once', () => {
    const err = configError({ PORT: 'abc', REDIS_URL: 'http://x', SECRET_KEY: 'short' });
    expect(err.issues.map((i) => i.variable).sort()).toEqual(['PORT', 'REDIS_URL', 'SECRET_KEY']);
  });

  test('the unknown role is named in the reason', () => {
    expect(configError({ ROLES: 'web,foo' }).issues[0]!.reason).toContain('foo');
  });

  test('empty strings mean unset, so `DATABASE_URL=` selects PGlite', () => {
    const env = loadEnv({ DATABASE_URL: '', SECRET_KEY: '', PORT: '', ROLES: '' });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.SECRET_KEY).toBeUndefined();
    expect(env.PORT).toBe(3000);
    expect(env.ROLES).toEqual(loadEnv({}).ROLES);
  });

  test('ROLES=all is every role that runs without extra setup (not whatsapp)', () => {
    const roles = loadEnv({ ROLES: 'all' }).ROLES;
    expect(roles).toEqual(roleNames.filter((r) => r !== 'whatsapp'));
    expect(loadEnv({}).ROLES).toEqual(roles);
  });

  test('ROLES as a list, with spaces', () => {
    expect(loadEnv({ ROLES: 'web, engine' }).ROLES).toEqual(['web', 'engine']);
    expect(loadEnv({ ROLES: 'whatsapp' }).ROLES).toEqual(['whatsapp']);
  });

  test('variables the schema does not know are ignored (the whole process.env is passed in)', () => {
    expect(() => loadEnv({ PATH: '/usr/bin', HOME: '/root' })).not.toThrow();
  });
});

describe('.env.example', () => {
  test('lists exactly the keys of envSchema', () => {
    const text = readFileSync(path.join(__dirname, '../../.env.example'), 'utf8');
    const listed = [...text.matchAll(/^\s*#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(Object.keys(envSchema.shape).sort());
  });
});
