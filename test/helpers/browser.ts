import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/**
 * The Debian chromium package, driven by playwright-core. No browser is ever downloaded:
 * without /usr/bin/chromium the browser tests skip (apt-get install chromium).
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_MISSING = `chromium not installed at ${CHROMIUM_PATH}: apt-get install chromium`;

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CONSOLE_INDEX = path.join(REPO_ROOT, 'dist/console/index.html');
export const CONSOLE_MISSING = `the console is not built (${path.relative(REPO_ROOT, CONSOLE_INDEX)} missing): npm run build:console`;

export function browserAvailable(): boolean {
  return fs.existsSync(CHROMIUM_PATH);
}

export function consoleBuilt(): boolean {
  return fs.existsSync(CONSOLE_INDEX);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Where browser tests put screenshots. */
export const RESULTS = path.join(REPO_ROOT, 'test-results');
/** The demo users' password (src/demo/seed.ts). */
export const DEMO_PASSWORD = 'Interdict-demo-2026';

/** A fresh context and page; uncaught page errors are appended to `errors` for the test to check. */
export async function openPage(
  browser: Browser,
  baseURL: string,
  viewport: { width: number; height: number },
  errors: string[],
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL, viewport, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
  return { context, page };
}

export async function switchLanguage(page: Page, label: '简体中文' | 'English'): Promise<void> {
  await page.locator('label', { hasText: label }).first().click();
  await page.waitForFunction(
    (l) => document.documentElement.lang === l,
    label === 'English' ? 'en' : 'zh-CN',
  );
}

/** Signs in through the English sign-in form with the demo password. */
export async function signIn(page: Page, username: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((u) => u.pathname === '/');
  // attached: on a phone the navigation is folded away off screen
  await page.locator('nav').waitFor({ state: 'attached' });
}

export function table(page: Page, label: string): Locator {
  return page.getByRole('table', { name: label });
}
