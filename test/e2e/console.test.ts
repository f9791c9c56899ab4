/**
 * The web console in a real browser (Debian chromium via playwright-core) against the whole
 * platform in-process, on the seeded demo. Skips when chromium or the built console is missing.
 * Leaves screenshots in test-results/ (console.png: the signed-in shell in Chinese).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import {
  DEMO_PASSWORD,
  RESULTS,
  signIn,
  switchLanguage,
  table,
  withDemoConsole,
} from '../helpers/browser.ts';

const PASSWORD = DEMO_PASSWORD;

interface SessionView {
  user: { displayName: string; roles: string[] };
  organisation: { name: string; kind: string };
}

test('web console', { timeout: 240_000 }, async (t) => {
  await withDemoConsole(t, async ({ url, open }) => {
    await t.test('signs in in Chinese, shows who is signed in, switches to English, signs out', async () => {
      const { context, page } = await open();
      try {
        await page.goto('/registry');
        await page.waitForURL((u) => u.pathname === '/login');
        assert.equal(new URL(page.url()).searchParams.get('next'), '/registry');

        // The sign-in page in English (the browser's language), then switched to Chinese.
        await page.getByRole('heading', { name: 'Sign in' }).waitFor();
        await switchLanguage(page, '简体中文');
        assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
        await page.getByRole('heading', { name: '登录' }).waitFor();
        await page.getByLabel('用户名').waitFor();
        await page.getByRole('link', { name: '查询号码 / 链接 / 账户' }).waitFor();
        await page.getByRole('link', { name: '举报诈骗' }).waitFor();
        await page.getByRole('link', { name: '处置申诉' }).waitFor();
        assert.equal(await page.evaluate(() => localStorage.getItem('interdict.lang')), 'zh-CN');

        await page.getByLabel('用户名').fill('centre.analyst');
        await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
        await page.getByRole('button', { name: '登录', exact: true }).click();
        // Back where the user was going.
        await page.waitForURL((u) => u.pathname === '/registry');
        await page.getByRole('heading', { name: '涉诈名单与处置' }).waitFor();
        await page.getByRole('table', { name: '涉诈名单' }).waitFor();

        const me = await sessionOf(page);
        const header = page.locator('header');
        await header.getByText('Interdict 反诈协同平台').waitFor();
        await header.getByText(me.user.displayName, { exact: true }).waitFor();
        await header.getByText(`${me.organisation.name} · 反诈中心`).waitFor();
        await header.getByText('研判员', { exact: true }).waitFor();
        const nav = page.locator('nav');
        for (const label of ['首页', '涉诈名单与处置', '举报', '监测发现']) {
          await nav.getByRole('link', { name: label, exact: true }).waitFor();
        }
        // A capability with several pages is a group that opens to its links.
        for (const label of ['预警劝阻', '资金止付', '指令与申诉']) {
          await nav.getByRole('button', { name: label }).waitFor();
        }
        assert.equal(await nav.getByText('系统管理').count(), 0, 'an analyst sees no administration');

        await switchLanguage(page, 'English');
        assert.equal(await page.getAttribute('html', 'lang'), 'en');
        await nav.getByRole('link', { name: 'Registry & decisions' }).waitFor();
        await nav.getByRole('link', { name: 'Home', exact: true }).waitFor();
        await header.getByText('Analyst', { exact: true }).waitFor();
        await header.getByText(`${me.organisation.name} · Anti-fraud centre`).waitFor();
        assert.equal(await nav.getByText('Administration').count(), 0, 'an analyst sees no administration');
        assert.equal(await page.locator('body').getByText('涉诈名单与处置').count(), 0, 'no Chinese left');

        // A reload keeps the language and the session (the server answers every console path).
        await page.reload();
        await nav.getByRole('link', { name: 'Registry & decisions' }).waitFor();
        await nav.getByRole('link', { name: 'Home', exact: true }).click();
        await page.getByRole('heading', { name: `Welcome, ${me.user.displayName}` }).waitFor();

        // A page the role does not open says so.
        await page.goto('/admin/users');
        await page.getByText('This page is not available to your role or organisation.').waitFor();

        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForURL((u) => u.pathname === '/login');
        await page.goto('/');
        await page.waitForURL((u) => u.pathname === '/login');
        assert.equal((await page.request.get('/v1/auth/session')).status(), 401);
      } finally {
        await context.close();
      }
    });

    await t.test('a wrong password shows the error', async () => {
      const { context, page } = await open();
      try {
        await page.goto('/login');
        await page.getByLabel('Username').fill('centre.admin');
        await page.getByLabel('Password', { exact: true }).fill('not-the-password');
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        const alert = page.getByRole('alert').filter({ hasText: 'Wrong username or password.' });
        await alert.waitFor();
        assert.match(
          await alert.innerText(),
          /the username or password is wrong/i,
          'the API detail is shown',
        );
        assert.equal(new URL(page.url()).pathname, '/login');

        await switchLanguage(page, '简体中文');
        await page.getByRole('alert').filter({ hasText: '用户名或密码错误。' }).waitFor();
      } finally {
        await context.close();
      }
    });

    await t.test('an administrator creates an API key, sees it once, and revokes it', async () => {
      const { context, page } = await open();
      try {
        await signIn(page, 'centre.admin');
        const nav = page.locator('nav');
        await nav.getByRole('button', { name: 'Administration' }).click();
        await nav.getByRole('link', { name: 'Users' }).click();
        await page.waitForURL((u) => u.pathname === '/admin/users');
        await table(page, 'Users').getByText('centre.analyst', { exact: true }).waitFor();
        await nav.getByRole('link', { name: 'Organisations' }).click();
        await table(page, 'Organisations').getByText('Anti-fraud centre').first().waitFor();
        await nav.getByRole('link', { name: 'API keys' }).click();
        await page.waitForURL((u) => u.pathname === '/admin/api-keys');

        // Both checks of the form before anything is sent.
        await page.getByRole('button', { name: 'Create key' }).click();
        await page.getByText('Give the key a name.').waitFor();
        await page.getByLabel('Name', { exact: true }).fill('E2E screening');
        await page.getByRole('button', { name: 'Create key' }).click();
        await page.getByText('Choose at least one scope.').waitFor();
        await page.getByRole('checkbox', { name: /listings:read/ }).check();
        await page.getByRole('button', { name: 'Create key' }).click();

        const box = page.getByTestId('new-api-key');
        await box.waitFor();
        const key = (await box.innerText()).trim();
        assert.match(key, /^idk_\S{20,}$/, 'the key is shown');
        await page.getByText('It will not be shown again').waitFor();
        await page.getByRole('button', { name: 'Copy' }).waitFor();
        const row = table(page, 'API keys').getByRole('row').filter({ hasText: 'E2E screening' });
        await row.waitFor();

        // The key authenticates (this route is for people, hence 403), and it is never shown again.
        const known = await fetch(new URL('/v1/organisations', url), {
          headers: { authorization: `Bearer ${key}` },
        });
        assert.equal(known.status, 403, 'the new key authenticates');
        await page.getByRole('button', { name: 'I have stored the key' }).click();
        await box.waitFor({ state: 'detached' });
        await page.reload();
        await row.waitFor();
        assert.equal(await page.getByText(key).count(), 0, 'the key is not shown again');

        await row.getByRole('button', { name: 'Revoke' }).click();
        const dialog = page.getByRole('dialog');
        await dialog.getByText('Revoke "E2E screening"?').waitFor();
        await dialog.getByRole('button', { name: 'Revoke key' }).click();
        await dialog.waitFor({ state: 'detached' });
        await row.getByText('Revoked').waitFor();
        const after = await fetch(new URL('/v1/organisations', url), {
          headers: { authorization: `Bearer ${key}` },
        });
        assert.equal(after.status, 401, 'a revoked key is refused');
      } finally {
        await context.close();
      }
    });

    await t.test('persons are masked, a view asks for a purpose, and the access is logged', async () => {
      const { context, page } = await open();
      try {
        await signIn(page, 'centre.analyst');
        const nav = page.locator('nav');
        await nav.getByRole('button', { name: 'Persons & privacy' }).click();
        await nav.getByRole('link', { name: 'Persons' }).click();
        await page.waitForURL((u) => u.pathname === '/privacy');
        assert.equal(
          await nav.getByRole('link', { name: 'Access log' }).count(),
          0,
          'analysts see no access log',
        );
        const persons = table(page, 'Persons');
        // A recycled number: its present holder first, then the one who gave it back.
        await page.getByLabel('Search').fill('+86 138 1000 0100');
        await page.getByRole('button', { name: 'Search' }).click();
        await persons.getByText('former holder').waitFor();
        const rows = persons.locator('tbody tr');
        assert.equal(await rows.count(), 2);
        assert.match((await rows.nth(0).innerText()) ?? '', /^王\*+\s*holds this number/i);
        assert.match((await rows.nth(1).innerText()) ?? '', /^张\*+\s*former holder/i);
        // The former holder: the card he gave back, and an account his bank closed, say since when.
        await persons.getByRole('link', { name: 'View' }).nth(1).click();
        await page.waitForURL((u) => u.pathname.startsWith('/privacy/persons/'));
        await page.getByRole('button', { name: 'Show data' }).click();
        await page.getByText('This purpose needs a reference.').waitFor();
        await page.getByLabel('Purpose').selectOption('case');
        await page.getByLabel('Reference').fill('E2E 1');
        await page.getByRole('button', { name: 'Show data' }).click();
        await page.getByText('Use letters, digits').waitFor();
        await page.getByLabel('Reference').fill('E2E-2026-0001');
        await page.getByRole('button', { name: 'Show data' }).click();
        await page.getByText('Purpose: Fraud case · E2E-2026-0001').waitFor();
        await page.getByRole('heading', { name: 'Phone cards' }).waitFor();
        await page.getByText('Cancelled · Feb 1, 2019', { exact: true }).waitFor();
        await page.getByText('Closed · Aug 31, 2021', { exact: true }).waitFor();
        assert.equal(await page.getByTestId('error').count(), 0);
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForURL((u) => u.pathname === '/login');

        await signIn(page, 'centre.auditor');
        await page.goto('/privacy/access-log');
        await table(page, 'Access log').getByText('Fraud case · E2E-2026-0001').first().waitFor();
      } finally {
        await context.close();
      }
    });

    await t.test('the shell folds its navigation away on a phone', async () => {
      const { context, page } = await open({ width: 390, height: 844 });
      try {
        await signIn(page, 'telecom.operator');
        const nav = page.locator('nav');
        await navOnScreen(page, false);
        await page.getByRole('button', { name: 'Open or close the navigation' }).click();
        await navOnScreen(page, true);
        await nav.getByRole('link', { name: 'Registry & decisions' }).waitFor();
        assert.equal(await nav.getByText('Funds', { exact: true }).count(), 0, 'funds are for banks');
        await page.screenshot({ path: path.join(RESULTS, 'console-phone.png') });
        await nav.getByRole('link', { name: 'Detection' }).click();
        await page.waitForURL((u) => u.pathname === '/detection');
        await page.getByRole('heading', { name: 'Detection' }).first().waitFor();
        await navOnScreen(page, false);
      } finally {
        await context.close();
      }
    });

    await t.test('the citizens’ pages need no account and speak both languages', async () => {
      const { context, page } = await open();
      try {
        await page.goto('/appeal');
        await page.getByRole('heading', { name: 'Appeal a measure' }).waitFor();
        assert.equal(
          await page.getByText('This service is coming soon').count(),
          0,
          'every citizen page is built',
        );
        await switchLanguage(page, '简体中文');
        await page.getByRole('heading', { name: '处置申诉' }).waitFor();
        await page.getByRole('link', { name: '工作人员登录' }).click();
        await page.waitForURL((u) => u.pathname === '/login');
      } finally {
        await context.close();
      }
    });

    await t.test('screenshot of the shell', async () => {
      const { context, page } = await open();
      try {
        await page.goto('/login');
        await switchLanguage(page, '简体中文');
        await page.getByLabel('用户名').fill('centre.admin');
        await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
        await page.getByRole('button', { name: '登录', exact: true }).click();
        await page.getByRole('heading', { name: /^欢迎/ }).waitFor();
        await page.locator('nav').getByRole('button', { name: '系统管理' }).waitFor();
        await page.screenshot({ path: path.join(RESULTS, 'console.png'), fullPage: true });
      } finally {
        await context.close();
      }
    });
  });
});

/** Waits until the navigation is on screen (or folded away, translated off to the left). */
async function navOnScreen(page: Page, expected: boolean): Promise<void> {
  await page.waitForFunction(
    (want) => (document.querySelector('nav')?.getBoundingClientRect().right ?? 0) > 1 === want,
    expected,
  );
}

async function sessionOf(page: Page): Promise<SessionView> {
  const res = await page.request.get('/v1/auth/session');
  assert.equal(res.status(), 200);
  return (await res.json()) as SessionView;
}
