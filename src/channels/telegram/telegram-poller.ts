/**
 * Long polling (`getUpdates`), for charities without a public HTTPS address. Our own loop rather than
 * telegraf's `launch()`, which handles a batch of updates in parallel (two messages of one chat could be stored
 * out of order) and stops polling for good when a handler throws once (e.g. the database restarting).
 *
 * Updates are handled one at a time, in order, and the offset moves past an update only once it is stored, so a
 * crash means redelivery (a no-op in `ingest`), never a lost message.
 */
import type { Logger } from 'pino';
import type { Telegram } from 'telegraf';
import type { FloodGuard } from './telegram-flood-guard';
import { allowedUpdates, classifyUpdate, telegramUpdateSchema, type TelegramUpdate } from './telegram-update';

export interface TelegramPoller {
  stop(): Promise<void>;
}

export interface PollerDeps {
  telegram: Telegram;
  log: Logger;
  handle(update: TelegramUpdate): Promise<unknown>;
  floodGuard: FloodGuard;
  /** Seconds Telegram may hold a `getUpdates` open. @defaultValue 50 */
  timeoutSeconds?: number;
}

interface TelegramApiError {
  code?: unknown;
  parameters?: { retry_after?: unknown };
}

export function startTelegramPoller(deps: PollerDeps): TelegramPoller {
  const { telegram, log } = deps;
  const controller = new AbortController();
  let offset = 0;
  let failures = 0;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      controller.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  const backoffMs = () => Math.min(30_000, 500 * 2 ** Math.min(failures++, 6));

  const handleOne = async (raw: unknown): Promise<void> => {
    const parsed = telegramUpdateSchema.safeParse(raw);
    if (!parsed.success) {
      // It will never become valid: log it and move on rather than block every chat behind it.
      log.warn({ updateId: (raw as { update_id?: unknown })?.update_id, issues: parsed.error.issues }, 'malformed telegram update skipped');
      return;
    }
    const event = classifyUpdate(parsed.data);
    if ((event.kind === 'message' || event.kind === 'choice') && !(await deps.floodGuard.admit(event.chatId)).admitted) {
      log.warn({ chatId: event.chatId }, 'telegram chat over the inbound limit (stored anyway: polling cannot hold one chat back)');
    }
    await deps.handle(parsed.data);
  };

  const loop = async () => {
    while (!controller.signal.aborted) {
      let updates: unknown[];
      try {
        updates = (await telegram.callApi(
          'getUpdates',
          { offset, timeout: deps.timeoutSeconds ?? 50, allowed_updates: [...allowedUpdates] },
          // telegraf types its signal as the `abort-controller` shim's; node-fetch 2 accepts Node's own.
          { signal: controller.signal as never },
        )) as unknown[];
      } catch (err) {
        if (controller.signal.aborted) return;
        const e = err as TelegramApiError;
        // 409: a webhook is set or another process polls the same token; 401: the token was revoked.
        const level = e.code === 401 || e.code === 409 ? 'error' : 'warn';
        const retryAfter = Number(e.parameters?.retry_after ?? 0) * 1000;
        log[level]({ err: (err as Error).message, code: e.code }, 'telegram getUpdates failed; retrying');
        await pause(Math.max(retryAfter, backoffMs()));
        continue;
      }
      for (const raw of updates) {
        if (controller.signal.aborted) return;
        try {
          await handleOne(raw);
        } catch (err) {
          // Not stored: ask again from this update after a pause (Telegram keeps what we have not confirmed).
          log.error({ err, updateId: (raw as { update_id?: unknown })?.update_id }, 'telegram update not stored; will retry');
          await pause(backoffMs());
          break;
        }
        failures = 0;
        const id = (raw as { update_id?: unknown })?.update_id;
        if (typeof id === 'number') offset = id + 1;
      }
    }
  };

  const running = loop().catch((err: unknown) => log.error({ err }, 'telegram poller stopped unexpectedly'));
  log.info('telegram long polling started');
  return {
    async stop() {
      controller.abort();
      await running;
      // Confirm what was stored, so the next process does not get it again (it would be a no-op, but costs work).
      if (offset > 0) {
        await telegram
          .callApi('getUpdates', { offset, limit: 1, timeout: 0 }, { signal: AbortSignal.timeout(2000) as never })
          .catch(() => undefined);
      }
    },
  };
}
