/**
 * Saudi PDPL: a beneficiary's words and data stay in the deployment. The egress test
 * (privacy-egress.integration.test.ts) proves it for the paths one session takes; this cheap guard catches the
 * usual way it breaks elsewhere — someone adds an error tracker, an analytics SDK or a hosted NLU/LLM client —
 * before any code calls it. Transitive packages count too: one pulled in by a dependency ships all the same.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

/** `@scope/` denies a whole scope, `name*` every name starting so, anything else that exact name. */
const DENIED = [
  // error trackers and APM agents, which ship stack traces (and the message text in them) abroad
  '@sentry/', 'raven', '@bugsnag/', 'bugsnag*', 'rollbar', 'newrelic', '@newrelic/', 'dd-trace', '@datadog/', 'applicationinsights',
  'elastic-apm-node', '@opentelemetry/exporter-*', 'honeybadger*', '@honeybadger-io/', 'raygun*', 'logrocket*',
  // product analytics
  'posthog*', 'mixpanel*', '@segment/', 'analytics-node', '@rudderstack/', '@amplitude/', 'amplitude*', 'universal-analytics',
  '@google-analytics/', '@vercel/analytics', '@snowplow/', 'keen-tracking', 'heap-api',
  // hosted NLU, translation and LLMs
  'openai', '@anthropic-ai/', '@google-cloud/', '@google/generative-ai', '@google/genai', '@aws-sdk/client-comprehend', '@aws-sdk/client-lex-*',
  '@aws-sdk/client-translate', '@aws-sdk/client-bedrock-*', 'wit', 'node-wit', 'dialogflow*', '@azure/ai-*', '@azure/cognitiveservices-*',
  'cohere-ai', '@huggingface/inference', 'ibm-watson', '@mistralai/', 'groq-sdk', 'replicate',
];

function denied(name: string): string | undefined {
  return DENIED.find((d) => (d.endsWith('/') || d.endsWith('*') ? name.startsWith(d.replace(/\*$/, '')) : name === d));
}

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

describe('no telemetry, analytics or hosted NLU packages', () => {
  it('the deny-list recognises such packages and leaves similar names alone', () => {
    for (const name of ['@sentry/node', 'posthog-node', 'mixpanel', '@segment/analytics-node', 'newrelic', 'dd-trace', 'applicationinsights', 'openai', '@google-cloud/dialogflow', '@aws-sdk/client-comprehend', 'wit', 'dialogflow-fulfillment']) {
      expect([name, denied(name)]).toEqual([name, expect.any(String)]);
    }
    for (const name of ['@nlpjs/nlp', 'pino', 'witty', 'opener', '@aws-sdk/client-s3', 'sentry-free', 'rollbar-like']) {
      expect([name, denied(name)]).toEqual([name, undefined]);
    }
  });

  it('package.json declares none of them', () => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
    const declared = [manifest.dependencies, manifest.devDependencies, manifest.optionalDependencies, manifest.peerDependencies].flatMap((deps) => Object.keys(deps ?? {}));
    expect(declared.length).toBeGreaterThan(10);
    expect(declared.filter((name) => denied(name))).toEqual([]);
  });

  it('package-lock.json installs none of them, directly or through another package', () => {
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    const installed = Object.keys(lock.packages)
      .filter((p) => p.includes('node_modules/'))
      .map((p) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(installed).toContain('@nlpjs/nlp');
    expect([...new Set(installed.filter((name) => denied(name)))]).toEqual([]);
  });
});
