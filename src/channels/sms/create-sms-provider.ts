/** Picks the SMS driver named by SMS_PROVIDER and gives it its settings. */
import type { Env } from '../../config/env-schema';
import { createGenericHttpProvider } from './providers/generic-http';
import { createTaqnyatProvider } from './providers/taqnyat';
import { createTwilioProvider } from './providers/twilio';
import { createUnifonicProvider } from './providers/unifonic';
import type { SmsProvider } from './sms-provider';

/** Builds the configured driver; the env schema has already checked its credentials are present. */
export function createSmsProvider(env: Env): SmsProvider {
  const perSecond = env.SMS_RATE_LIMIT_PER_SECOND;
  const rate = (fallback: number) => ({ max: perSecond ?? fallback, durationMs: 1000 });
  switch (env.SMS_PROVIDER) {
    case 'unifonic': {
      return createUnifonicProvider({ baseUrl: env.UNIFONIC_BASE_URL, appSid: env.UNIFONIC_APP_SID!, sender: env.SMS_SENDER!, webhookSecret: env.SMS_WEBHOOK_SECRET!, rateLimit: rate(10) });
    }
    case 'taqnyat': {
      return createTaqnyatProvider({ baseUrl: env.TAQNYAT_BASE_URL, token: env.TAQNYAT_TOKEN!, sender: env.SMS_SENDER!, webhookSecret: env.SMS_WEBHOOK_SECRET!, rateLimit: rate(10) });
    }
    case 'twilio': {
      return createTwilioProvider({
        baseUrl: env.TWILIO_BASE_URL,
        accountSid: env.TWILIO_ACCOUNT_SID!,
        authToken: env.TWILIO_AUTH_TOKEN!,
        sender: env.SMS_SENDER!,
        statusCallback: env.SMS_WEBHOOK_BASE_URL ? new URL('/webhooks/sms/twilio', env.SMS_WEBHOOK_BASE_URL).toString() : undefined,
        rateLimit: rate(1),
      });
    }
    case 'generic': {
      return createGenericHttpProvider({ url: env.SMS_GENERIC_URL!, token: env.SMS_GENERIC_TOKEN!, sender: env.SMS_SENDER!, webhookSecret: env.SMS_WEBHOOK_SECRET!, rateLimit: rate(5) });
    }
    default:
      throw new Error('createSmsProvider: SMS_PROVIDER is not set');
  }
}
