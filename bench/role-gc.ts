/**
 * Garbage-collection pauses of the role processes under load (`BENCH_GC_DIR=<dir> npm run bench -- load`): each
 * role records every pause of 5 ms or more and rewrites `<roles>-<pid>.gc.json` every two seconds; the benchmark
 * reads them after the open-loop phase and reports the pauses inside it, to tell a tail made by the collector
 * from one made elsewhere.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { roleFile } from './role-profile';

const MIN_PAUSE_MS = 5;
const MAX_KEPT = 100_000;

const fileOf = (dir: string, label: string, pid: number) => roleFile(dir, label, pid, 'gc.json');

interface Pause {
  /** Epoch milliseconds when it began. */
  at: number;
  ms: number;
}

/** In a role process. */
export function recordGcPauses(dir: string, label: string): void {
  const pauses: Pause[] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration >= MIN_PAUSE_MS && pauses.length < MAX_KEPT) pauses.push({ at: performance.timeOrigin + e.startTime, ms: e.duration });
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => writeFileSync(fileOf(dir, label, process.pid), JSON.stringify(pauses)), 2000).unref();
}

/** In the benchmark: the pauses of the process `pid` (running `label`) between `from` and `to` (epoch ms). */
export function gcPausesBetween(dir: string, label: string, pid: number, from: number, to: number): { count: number; longestMs: number } {
  let pauses: Pause[] = [];
  try {
    pauses = JSON.parse(readFileSync(fileOf(dir, label, pid), 'utf8')) as Pause[];
  } catch {
    return { count: 0, longestMs: 0 };
  }
  const inside = pauses.filter((p) => p.at >= from && p.at <= to);
  return { count: inside.length, longestMs: Math.max(0, ...inside.map((p) => p.ms)) };
}
