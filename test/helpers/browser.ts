import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { TestContext } from 'node:test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Platform } from '../../src/platform.ts';
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

export interface DemoConsole {
  /** The platform's base URL. */
  url: string;
  /** The platform itself (its services, for what a test sets up or checks directly). */
  platform: Platform;
  /** A fresh context and page on the platform (desktop size unless a viewport is given). */
  open(viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }>;
  /**
   * A subtest in a story where each step builds on the one before: after a failed step the rest
   * skip instead of timing out one by one.
   */
  step(name: string, fn: () => Promise<void>): Promise<void>;
}

/**
 * Runs `body` against the whole platform in-process on the seeded demo, in Debian's chromium, then
 * checks that no page threw an uncaught error. Skips with a clear message when chromium or the
 * built console is missing. Always the embedded database and bus: the demo seeds an empty database only.
 */
export async function withDemoConsole(
  t: TestContext,
  body: (c: DemoConsole) => Promise<void>,
): Promise<void> {
  if (!browserAvailable()) return t.skip(CHROMIUM_MISSING);
  if (!consoleBuilt()) return t.skip(CONSOLE_MISSING);
  fs.mkdirSync(RESULTS, { recursive: true });
  const platform = await startDemoPlatform();
  let browser: Browser | undefined;
  const errors: string[] = [];
  try {
    browser = await launchBrowser();
    const b = browser;
    let broken = false;
    await body({
      url: platform.url,
      platform,
      open: (viewport) => openPatientPage(b, platform.url, errors, viewport),
      step: (name, fn) =>
        t.test(name, async (st) => {
          if (broken) return st.skip('an earlier step failed');
          try {
            await fn();
          } catch (err) {
            broken = true;
            throw err;
          }
        }),
    });
    await t.test('no page had an uncaught error', () => {
      assert.deepEqual(errors, []);
    });
  } finally {
    await browser?.close();
    await platform.close();
  }
}

/**
 * The seeded demo platform on an in-memory database and the in-process bus (never the outer
 * DATABASE_URL / NATS_URL), listening on a free port: what the console's browser tests drive.
 */
export async function startDemoPlatform(): Promise<Platform> {
  const { startPlatform } = await import('../../src/platform.ts');
  return startPlatform({
    dataDir: 'memory://',
    port: 0,
    host: '127.0.0.1',
    demo: true,
    logLevel: 'silent',
    env: { DATABASE_URL: '', NATS_URL: '' },
  });
}

/** A demo organisation's id by its name. */
export async function demoOrgId(platform: Platform, name: string): Promise<string> {
  const r = await platform.services.db
    .selectFrom('organisations')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return r.id;
}

/**
 * `openPage` with a patient default timeout: the machine may be shared and busy, and waits are
 * for the page, not a measure of speed.
 */
export async function openPatientPage(
  browser: Browser,
  baseURL: string,
  errors: string[],
  viewport = { width: 1280, height: 860 },
): Promise<{ context: BrowserContext; page: Page }> {
  const opened = await openPage(browser, baseURL, viewport, errors);
  opened.page.setDefaultTimeout(60_000);
  return opened;
}

/** An answer of the API: its status and parsed body (null when empty). */
export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/**
 * A signed-in API client of the platform (the session cookie of a demo user) that gives back every
 * answer, not-ok ones too, for tests that check refusals.
 */
export async function apiSession(
  base: string,
  username: string,
): Promise<<T>(method: string, url: string, body?: object) => Promise<ApiAnswer<T>>> {
  const res = await fetch(`${base}/v1/auth/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  assert.equal(res.status, 200, `${username} signs in`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return async <T>(method: string, url: string, body?: object): Promise<ApiAnswer<T>> => {
    const r = await fetch(`${base}${url}`, {
      method,
      headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
  };
}

/** A signed-in API client of the platform that fails the test on any not-ok answer and gives the body. */
export async function apiAs(
  base: string,
  username: string,
): Promise<<T>(method: string, url: string, body?: object) => Promise<T>> {
  const call = await apiSession(base, username);
  return async <T>(method: string, url: string, body?: object): Promise<T> => {
    const r = await call<T>(method, url, body);
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
}
