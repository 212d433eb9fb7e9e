/**
 * Debian's Chromium driven by playwright-core, for console tests in a real browser. Screenshots go to
 * test-artifacts/ (kept by CI). Each page records script errors and CSP violations, which a test can assert are
 * absent: the console's CSP forbids inline scripts, so a stray one shows up here rather than in production.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadEnv } from '../../src/config/load-config';
import { projectRoot } from './harness';

export const artifactsDir = path.join(projectRoot, 'test-artifacts');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: loadEnv(process.env).CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught script errors and console errors (CSP violations are reported as console errors). */
  problems: string[];
}

export async function newPage(browser: Browser, base: string): Promise<WatchedPage> {
  const context = await browser.newContext({ baseURL: base, acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // A refused page (403, a form's 400) is logged as "Failed to load resource"; tests assert statuses themselves.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console: ${msg.text()}`);
  });
  return { page, context, problems };
}

/** Signs in through the login form, as a person would. */
export async function signInBrowser(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/console/login');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL((u) => u.pathname === '/console'), page.click('form[action="/console/login"] button[type=submit]')]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
}
