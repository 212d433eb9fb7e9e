/**
 * Tells staff when the WhatsApp session stays down (one alert per outage) and when it is back — through the
 * `staff-notify` queue (e-mail and/or the staff Telegram group, when configured) and the console's live events.
 *
 * Exactly one alert per outage across processes: the alert is claimed with a Redis key that only the "back up"
 * clears. A reconnect attempt, a heartbeat, or a standby gateway that takes the number over during the same
 * outage finds the claim and stays quiet; whichever process sees the session ready first takes the claim back
 * and sends the one "back up" notice. Job ids derived from the outage make a retried add a no-op too.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { publishLiveEvent } from '../../console/live-events';
import type { StaffNoticeQueue } from '../../staff/staff-notify';
import type { GatewayAlert, GatewayRecovery } from './whatsapp-gateway';

export interface OutageAlerts {
  /** The session has been down too long; returns whether this call raised the outage's alert. */
  down(alert: GatewayAlert): Promise<boolean>;
  /** The session is ready again; returns whether a "back up" notice went out (only after an alert). */
  up(recovery: GatewayRecovery): Promise<boolean>;
}

export function createOutageAlerts(deps: { redis: Redis; prefix: string; log: Logger; notices: StaffNoticeQueue | undefined }): OutageAlerts {
  const claimKey = (clientId: string) => `${deps.prefix}:whatsapp:outage-alerted:${clientId}`;
  return {
    async down(alert) {
      const downSince = alert.downSince.toISOString();
      // No expiry: an outage lasts as long as it lasts; only `up` ends it.
      if ((await deps.redis.set(claimKey(alert.clientId), downSince, 'NX')) !== 'OK') return false;
      try {
        await deps.notices?.add({ kind: 'whatsapp', event: 'down', clientId: alert.clientId, state: alert.state, reason: alert.reason, downSince });
      } catch (err) {
        // Give the claim back so the next heartbeat tries again: an alert that was never queued must not count.
        await deps.redis.del(claimKey(alert.clientId));
        throw err;
      }
      deps.log.error({ ...alert, staffNotified: Boolean(deps.notices) }, 'WhatsApp session has been down too long: staff alerted; replies wait in the queue');
      await publishLiveEvent(deps.redis, deps.prefix, { type: 'whatsapp.down', state: alert.state, since: downSince });
      return true;
    },
    async up(recovery) {
      const downSince = await deps.redis.getdel(claimKey(recovery.clientId));
      if (!downSince) return false;
      const upAt = recovery.upAt.toISOString();
      await deps.notices?.add({ kind: 'whatsapp', event: 'up', clientId: recovery.clientId, state: 'ready', reason: null, downSince, upAt });
      deps.log.info({ clientId: recovery.clientId, downSince }, 'WhatsApp session back after an alert: staff told');
      await publishLiveEvent(deps.redis, deps.prefix, { type: 'whatsapp.up', state: 'ready', since: downSince });
      return true;
    },
  };
}
