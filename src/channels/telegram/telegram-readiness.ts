/**
 * Telegram's part of `/readyz`: every Bot API call the channel makes (getMe and the webhook setup at start, the
 * poller's getUpdates, sends, button acknowledgements) reports its outcome, and a `getMe` probe stands in when
 * the channel has been quiet (channel-readiness.ts).
 */
import { Telegram } from 'telegraf';
import type { Opts, Telegram as BotApiMethods } from 'telegraf/types';
import { createReadinessTracker, type ReadinessTiming, type ReadinessTracker } from '../channel-readiness';

/** Telegram's error as telegraf raises it (`TelegramError`); a network failure has no numeric `code`. */
interface TelegramApiError {
  code?: unknown;
  description?: unknown;
  message?: unknown;
}

/**
 * What one failed call says about the channel as a whole: `null` when the Bot API answered and only refused
 * this request (a blocked user, a bad request, 429 flood control), otherwise why the channel cannot work.
 */
export function telegramFailureReason(method: string, err: unknown): string | null {
  const e = err as TelegramApiError;
  const code = typeof e.code === 'number' ? e.code : undefined;
  const description = typeof e.description === 'string' ? e.description : String(e.message ?? err);
  // 401, or 404 for every method: Telegram does not know the token (revoked in @BotFather, or mistyped).
  if (code === 401 || code === 404) return `Bot API refused the bot token (${code} ${description})`;
  // Another process polls the same token, or a webhook is set while we poll: no update reaches us.
  if (code === 409) return `${method} conflict: ${description}`;
  if (code !== undefined && code >= 400 && code < 500) return null;
  if (code !== undefined) return `Bot API unreachable: ${code} ${description} (${method})`;
  // node-fetch says "request to <url with the bot id> failed, reason: …"; the reason is what matters.
  return `Bot API unreachable: ${/failed, reason: (.*)$/s.exec(description)?.[1] ?? description} (${method})`;
}

/**
 * The channel's Bot API client: telegraf's own, reporting each call to the readiness tracker. Subclassing is
 * telegraf's extension point here (`Telegram` itself extends its `ApiClient`); every method goes through
 * `callApi`.
 */
export class ReportingTelegram extends Telegram {
  constructor(
    token: string,
    options: ConstructorParameters<typeof Telegram>[1],
    private readonly outcomes: Pick<ReadinessTracker, 'succeeded' | 'failed'>,
  ) {
    super(token, options);
  }

  override async callApi<M extends keyof BotApiMethods>(
    method: M,
    payload: Opts<M>,
    options?: Parameters<Telegram['callApi']>[2],
  ): Promise<ReturnType<BotApiMethods[M]>> {
    try {
      const result = await super.callApi(method, payload, options);
      this.outcomes.succeeded();
      return result;
    } catch (err) {
      const signal = options?.signal as AbortSignal | undefined;
      // Our own abort (the poller stopping) says nothing about Telegram; a timeout does.
      const ownAbort = signal?.aborted && (signal.reason as Error | undefined)?.name !== 'TimeoutError';
      if (!ownAbort) {
        const reason = telegramFailureReason(method, err);
        if (reason === null) this.outcomes.succeeded();
        else this.outcomes.failed(reason);
      }
      throw err;
    }
  }
}

/** The tracker behind `channel:telegram`; `probe` is the channel's own client's `getMe`. */
export function createTelegramReadiness(deps: { token: string; timing?: ReadinessTiming; getMe(signal: AbortSignal): Promise<unknown> }): ReadinessTracker {
  return createReadinessTracker({
    ...deps.timing,
    probe: (signal) => deps.getMe(signal),
    describe: (err) => telegramFailureReason('getMe', err) ?? `Bot API answered getMe with ${(err as Error).message}`,
    secrets: [deps.token],
  });
}
