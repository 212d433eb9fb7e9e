/**
 * chart.js's UMD build, served to the reports page from node_modules (the CSP allows scripts from our own origin
 * only, so no CDN). Its version is part of the script URL, so the year-long cache never serves an old build after
 * an upgrade.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const CHART_SCRIPT_PATH = '/console/assets/vendor/chart.umd.min.js';

// The package's `exports` map hides dist/ and package.json from require(); its main entry sits in dist/.
const distDir = path.dirname(require.resolve('chart.js'));

let cached: { version: string; body: Buffer } | undefined;
function load(): { version: string; body: Buffer } {
  cached ??= {
    version: (JSON.parse(readFileSync(path.join(distDir, '..', 'package.json'), 'utf8')) as { version: string }).version,
    body: readFileSync(path.join(distDir, 'chart.umd.min.js')),
  };
  return cached;
}

export const chartJsVersion = (): string => load().version;
export const chartJsBody = (): Buffer => load().body;
export const chartScriptUrl = (): string => `${CHART_SCRIPT_PATH}?v=${chartJsVersion()}`;
