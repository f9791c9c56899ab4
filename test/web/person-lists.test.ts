/**
 * The lists of persons in a real browser (Debian chromium via playwright-core) on the seeded demo:
 * the centre's supervisor sees both lists masked, opens 杨磊's credit punishment in clear, records the
 * notice, designates a new person and removes the listing on credit repair; the analyst sees credit
 * punishment only (an exit restriction's address answers as not found), in English and Chinese; an
 * operator has no such page. Skips when chromium or the built console is missing.
 * Leaves test-results/person-lists-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { RESULTS, signIn, switchLanguage, table, withDemoConsole } from '../helpers/browser.ts';
import { demoIdNumber } from '../../src/demo/seed.ts';

const SELLER_ID = demoIdNumber('420111', '19880909', 5, 'm');
const NEW_ID = demoIdNumber('110101', '19900101', 77, 'f');

const inMonths = (n: number) => {
  const d = new Date();
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.toISOString().slice(0, 10);
};

test(
  'lists of persons: masked lists, clear detail for a supervisor, designate and remove, 404 for others',
  { timeout: 900_000 },
  (t) =>
    withDemoConsole(t, async ({ open }) => {
      const { context, page } = await open();
      await signIn(page, 'centre.supervisor');
      // The navigation's governance group opens on its pages: the entry is there.
      await page.goto('/governance/person-lists');
      await page.locator('nav a[href="/governance/person-lists"]').first().waitFor();
      const rows = table(page, 'Listings').locator('tbody tr');
      await rows.first().waitFor();
      const text = await table(page, 'Listings').innerText();
      assert.match(text, /杨\*/);
      assert.match(text, /吴\*/);
      assert.match(text, /Credit punishment/);
      assert.match(text, /Exit restriction/);
      assert.ok(!text.includes(SELLER_ID), 'lists are masked');
      await page.screenshot({ path: path.join(RESULTS, 'person-lists-supervisor.png'), fullPage: true });

      await rows.filter({ hasText: '杨*' }).first().click();
      await page.waitForURL((u) => u.pathname.startsWith('/governance/person-lists/'));
      const exitUrl = await (async () => {
        const person = page.getByTestId('person-listing-person').first();
        await person.waitFor();
        assert.match(await person.innerText(), /杨磊/);
        assert.match(await person.innerText(), new RegExp(SELLER_ID));
        assert.match(await page.getByTestId('person-listing-restrictions').innerText(), /No new phone cards/);
        await page.getByRole('button', { name: 'Record notice served' }).click();
        await page.getByText('Notice served').first().waitFor();
        await page.screenshot({ path: path.join(RESULTS, 'person-lists-detail.png'), fullPage: true });
        await page.goBack();
        await rows.filter({ hasText: '吴*' }).first().click();
        await page.getByTestId('person-listing-person').first().waitFor();
        return new URL(page.url()).pathname;
      })();

      // A new designation through the form, then its removal on credit repair.
      await page.goto('/governance/person-lists');
      await page.getByTestId('person-lists-designate').click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Identity number').fill(NEW_ID);
      await dialog.getByLabel('Name').fill('周芳');
      await dialog.getByLabel('Reason').fill('rented out two bank accounts');
      await dialog.getByLabel(/^End/).fill(inMonths(12));
      await dialog.getByRole('button', { name: 'Designate' }).click();
      await page.waitForURL(
        (u) => u.pathname.startsWith('/governance/person-lists/') && !u.pathname.endsWith(exitUrl),
      );
      await page.getByTestId('person-listing-person').first().waitFor();
      assert.match(await page.getByTestId('person-listing-person').first().innerText(), /周芳/);
      await page.getByRole('button', { name: 'Remove' }).click();
      const remove = page.getByRole('dialog');
      await remove.getByLabel('Kind of removal').selectOption('credit_repair');
      await remove.getByRole('textbox').last().fill('repaid the victims');
      await remove.getByRole('button', { name: 'Remove' }).click();
      await page.getByTestId('person-listing-removed').waitFor();
      assert.match(await page.getByTestId('person-listing-removed').innerText(), /Credit repair/);
      assert.equal(
        await page.getByTestId('person-listing-status').first().getAttribute('data-status'),
        'removed',
      );
      await context.close();

      // The analyst: credit punishment only, masked; the exit restriction's address is not found.
      const analyst = await open();
      await signIn(analyst.page, 'centre.analyst');
      await analyst.page.goto('/governance/person-lists');
      const aRows = table(analyst.page, 'Listings').locator('tbody tr');
      await aRows.first().waitFor();
      const aText = await table(analyst.page, 'Listings').innerText();
      assert.match(aText, /杨\*/);
      assert.doesNotMatch(aText, /吴\*/);
      assert.doesNotMatch(aText, /Exit restriction/);
      await analyst.page.goto(exitUrl);
      await analyst.page.getByTestId('error').waitFor();
      assert.doesNotMatch(await analyst.page.locator('main').innerText(), /吴/);
      await analyst.page.goto('/governance/person-lists');
      await switchLanguage(analyst.page, '简体中文');
      await analyst.page.getByRole('heading', { name: '人员名单' }).waitFor();
      await table(analyst.page, '名单').locator('tbody tr').first().waitFor();
      assert.match(await table(analyst.page, '名单').innerText(), /信用惩戒/);
      await analyst.page.screenshot({
        path: path.join(RESULTS, 'person-lists-analyst-zh.png'),
        fullPage: true,
      });
      await analyst.context.close();

      // An operator has no such page.
      const op = await open();
      await signIn(op.page, 'telecom.operator');
      await op.page.goto('/governance/person-lists');
      await op.page.getByText('This page is not available to your role or organisation.').waitFor();
      assert.equal(await op.page.locator('nav a[href="/governance/person-lists"]').count(), 0);
      await op.context.close();
    }),
);
