/**
 * The registry's console pages and the citizens' check page in a real browser (Debian chromium
 * via playwright-core) against the whole platform in-process, on the seeded demo. Skips when
 * chromium or the built console is missing. Leaves test-results/registry.png and check-phone.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { RESULTS, signIn, switchLanguage, table, withDemoConsole } from '../helpers/browser.ts';

test('registry pages and the public check', { timeout: 240_000 }, async (t) => {
  await withDemoConsole(t, async ({ open }) => {
    await t.test('the public check finds a listed number (in Chinese) on a phone', async () => {
      const { context, page } = await open({ width: 390, height: 844 });
      try {
        await page.goto('/check');
        await switchLanguage(page, '简体中文');
        await page.getByRole('heading', { name: '查询号码、链接或账户' }).waitFor();
        await page.getByRole('button', { name: '查询', exact: true }).click();
        await page.getByText('请输入号码、链接或账户。').waitFor();
        await page.getByLabel('号码、链接或账户').fill('+86 170 1234 5678');
        await page.getByRole('button', { name: '查询', exact: true }).click();
        const verdict = page.getByTestId('check-verdict');
        await verdict.waitFor();
        assert.equal(await verdict.getAttribute('data-verdict'), 'listed');
        await verdict.getByText('已列入涉诈名单').waitFor();
        await verdict.getByText('冒充公检法及政府机关').waitFor();
        assert.equal(await page.getByTestId('error').count(), 0);
        await page.screenshot({ path: path.join(RESULTS, 'check-phone.png'), fullPage: true });
      } finally {
        await context.close();
      }
    });

    await t.test('the public check says "not listed is not safe" (in English)', async () => {
      const { context, page } = await open();
      try {
        await page.goto('/check');
        await page.getByRole('heading', { name: 'Check a number, link or account' }).waitFor();
        await page.getByLabel('Number, link or account').fill('13912345678');
        await page.getByLabel('What is it?').selectOption('phone');
        await page.getByRole('button', { name: 'Check', exact: true }).click();
        const verdict = page.getByTestId('check-verdict');
        await verdict.waitFor();
        assert.equal(await verdict.getAttribute('data-verdict'), 'not_listed');
        await verdict.getByText('Not on the registry').waitFor();
        await verdict.getByText('Not listed does not mean safe').waitFor();
      } finally {
        await context.close();
      }
    });

    await t.test('an analyst searches, opens and delists a listing; the check follows', async () => {
      const { context, page } = await open();
      try {
        await signIn(page, 'centre.analyst');
        await page.locator('nav').getByRole('link', { name: 'Registry & decisions' }).click();
        await page.waitForURL((u) => u.pathname === '/registry');
        const listings = table(page, 'Listings');
        await listings.getByText('+8617012345678').waitFor();
        await listings.getByRole('row').filter({ hasText: 'refund-taobao-service.com' }).waitFor();
        assert.ok((await listings.getByRole('row').count()) >= 12, 'the demo listings are shown');
        await listings.getByText('Impersonating police or government').first().waitFor();

        // A filter: only domains.
        await page.getByLabel('Kind').first().selectOption('domain');
        await page.getByRole('button', { name: 'Search' }).click();
        await listings.getByText('+8617012345678').waitFor({ state: 'detached' });
        await page.screenshot({ path: path.join(RESULTS, 'registry.png'), fullPage: true });

        await listings.getByRole('row').filter({ hasText: 'refund-taobao-service.com' }).click();
        await page.waitForURL((u) => u.pathname.startsWith('/registry/listings/'));
        await page.getByRole('heading', { name: 'refund-taobao-service.com' }).waitFor();
        const history = page.getByTestId('listing-history');
        await history.getByText('Listed', { exact: true }).waitFor();
        await page.getByRole('heading', { name: 'Sources' }).waitFor();
        await page.getByTestId('listing-status').getByText('Active').waitFor();

        await page.getByRole('button', { name: 'Delist' }).click();
        const dialog = page.getByRole('dialog');
        await dialog.getByRole('button', { name: 'Delist' }).click();
        await dialog.getByText('Give a reason.').waitFor();
        await dialog.getByLabel('Reason').fill('E2E: false positive, a real shop');
        await dialog.getByRole('button', { name: 'Delist' }).click();
        await dialog.waitFor({ state: 'detached' });
        await page.getByTestId('listing-status').getByText('Delisted').waitFor();
        await history.getByText('E2E: false positive, a real shop').waitFor();
        assert.equal(await page.getByRole('button', { name: 'Delist' }).count(), 0);

        // The decision node applies the delisting within a second.
        let verdict = '';
        for (const deadline = Date.now() + 3_000; Date.now() < deadline;) {
          const res = await page.request.post('/v1/check', {
            data: { value: 'http://refund-taobao-service.com/pay' },
          });
          assert.equal(res.status(), 200);
          verdict = ((await res.json()) as { verdict: string }).verdict;
          if (verdict === 'not_listed') break;
          await page.waitForTimeout(200);
        }
        assert.equal(verdict, 'not_listed', 'the delisted domain is no longer listed');
        await page.goto('/check');
        await page.getByLabel('Number, link or account').fill('http://refund-taobao-service.com/pay');
        await page.getByRole('button', { name: 'Check', exact: true }).click();
        await page.getByTestId('check-verdict').getByText('Not on the registry').waitFor();
      } finally {
        await context.close();
      }
    });

    await t.test('the allowlist is read-only for analysts', async () => {
      const { context, page } = await open();
      try {
        await signIn(page, 'centre.analyst');
        await page.goto('/registry/allowlist');
        await table(page, 'Allowlist').waitFor();
        await page
          .getByText('You can view the allowlist; supervisors and administrators change it.')
          .waitFor();
        assert.equal(await page.getByRole('button', { name: 'Protect' }).count(), 0);
        assert.equal(await page.getByTestId('error').count(), 0);
      } finally {
        await context.close();
      }
    });

    await t.test('a supervisor protects a number and removes it again, with a reason', async () => {
      const { context, page } = await open();
      try {
        await signIn(page, 'centre.supervisor');
        await page.goto('/registry/allowlist');
        const allowlist = table(page, 'Allowlist');
        await allowlist.waitFor();
        await page.getByRole('button', { name: 'Protect' }).click();
        await page.getByText('Enter the value.').waitFor();
        await page.getByLabel('Value').fill('+86 10 8888 0000');
        await page.getByLabel('What it is').fill('E2E hospital switchboard');
        await page.getByLabel('Reason').fill('E2E: a public hotline');
        await page.getByRole('button', { name: 'Protect' }).click();
        await page.getByText('Protected. Listings it covered and that were delisted: 0.').waitFor();
        const row = allowlist.getByRole('row').filter({ hasText: 'E2E hospital switchboard' });
        await row.waitFor();

        await row.getByRole('button', { name: 'Remove' }).click();
        const dialog = page.getByRole('dialog');
        await dialog.getByLabel('Reason').fill('E2E: done');
        await dialog.getByRole('button', { name: 'Remove' }).click();
        await dialog.waitFor({ state: 'detached' });
        await row.waitFor({ state: 'detached' });
      } finally {
        await context.close();
      }
    });
  });
});
