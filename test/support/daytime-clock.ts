/**
 * A clock that runs at real speed but reads as a weekday noon in the organisation's time zone, for tests that send
 * a survey through its job: the surveys role re-checks quiet hours when a job runs, so on the wall clock such a
 * test would pass by day and wait for the morning at night.
 */
import { DateTime } from 'luxon';

export function daytimeClock(timezone = 'Asia/Riyadh'): () => Date {
  const now = DateTime.now().setZone(timezone);
  let noon = now.set({ hour: 12, minute: 0, second: 0, millisecond: 0 });
  // Friday (5) has the prayer window and Saturday (6) is the weekend in the seed profile: use the next Monday.
  if (noon.weekday >= 5) noon = noon.plus({ days: 8 - noon.weekday });
  const offsetMs = noon.toMillis() - now.toMillis();
  return () => new Date(Date.now() + offsetMs);
}
