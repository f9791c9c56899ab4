/**
 * The appeal pages' states in a real browser (Debian chromium via playwright-core) against the whole
 * platform in-process, on the seeded demo: a rejected appeal's receipt says where to seek
 * administrative review, in both languages, and offers neither withdrawal nor compensation; an open
 * appeal is withdrawn from its receipt; a mistyped or unknown code is told plainly; the centre's
 * queue filters by status, and an auditor reads an appeal without the verification or decision
 * forms. Skips when chromium or the built console is missing. Leaves /tmp/appeals-rejected-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD, signIn, switchLanguage, table, withDemoConsole } from '../helpers/browser.ts';
import { demoIdNumber } from '../../src/demo/seed.ts';

/** Demo persons 1 and 2 (src/demo/seed.ts) and their first cards. */
const WANG = { name: '王芳', idNumber: demoIdNumber('310104', '19900721', 1, 'f'), card: '+8613810000100' };
const LI = { name: '李娜', idNumber: demoIdNumber('440305', '19780105', 2, 'f') };

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  assert.ok(res.ok, `${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A public appeal over the API, as the form sends it. */
async function appeal(base: string, body: object): Promise<string> {
  const res = await fetch(`${base}/v1/appeals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await json<{ receiptCode: string }>(res)).receiptCode;
}

async function signedIn(base: string, username: string): Promise<string> {
  const res = await fetch(`${base}/v1/auth/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  assert.equal(res.status, 200);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

test(
  'appeal pages: rejection and its remedies, withdrawal, bad codes, the queue by role',
  { timeout: 600_000 },
  async (t) => {
    await withDemoConsole(t, async ({ url, open }) => {
      const rejectedCode = await appeal(url, {
        subject: { kind: 'msisdn', value: WANG.card },
        appellant: { idNumber: WANG.idNumber, name: WANG.name },
        explanation: 'Web test: my card was restricted by mistake.',
        language: 'zh',
      });
      const openCode = await appeal(url, {
        subject: { kind: 'person' },
        appellant: { idNumber: LI.idNumber, name: LI.name },
        explanation: 'Web test: I cannot open a new account.',
        language: 'en',
      });
      const supervisor = await signedIn(url, 'centre.supervisor');
      const queue = await json<{ items: { id: string; receiptCode: string }[] }>(
        await fetch(`${url}/v1/appeals?limit=200`, { headers: { cookie: supervisor } }),
      );
      const rejected = queue.items.find((a) => a.receiptCode === rejectedCode)!;
      assert.ok(rejected, 'the appeal is in the queue');
      const decided = await fetch(`${url}/v1/appeals/${rejected.id}/decision`, {
        method: 'POST',
        headers: { cookie: supervisor, 'content-type': 'application/json' },
        body: JSON.stringify({ outcome: 'rejected', reasons: 'Web test: call records show mass calling.' }),
      });
      assert.equal(decided.status, 200, await decided.text());

      await t.test('a rejected appeal says how to seek review, in Chinese and English', async () => {
        const { context, page } = await open({ width: 390, height: 844 });
        try {
          await page.goto(`/appeal/receipt/${rejectedCode}`);
          await switchLanguage(page, '简体中文');
          const decision = page.getByTestId('appeal-decision');
          await decision.and(page.locator('[data-outcome="rejected"]')).waitFor();
          await decision.getByText('申诉不成立。').waitFor();
          await page
            .getByTestId('appeal-remedies')
            .getByText('六十日内申请行政复议', { exact: false })
            .waitFor();
          await page.screenshot({ path: '/tmp/appeals-rejected-zh.png', fullPage: true });
          await switchLanguage(page, 'English');
          await page
            .getByTestId('appeal-remedies')
            .getByText('administrative reconsideration within 60 days', { exact: false })
            .waitFor();
          await decision.getByText('call records show mass calling', { exact: false }).waitFor();
          await page.screenshot({ path: '/tmp/appeals-rejected-en.png', fullPage: true });
          // Decided: nothing to withdraw, no evidence to add, no compensation for a rejection.
          assert.equal(await page.getByRole('button', { name: 'Withdraw the appeal' }).count(), 0);
          assert.equal(await page.getByRole('button', { name: 'Send the files' }).count(), 0);
          assert.equal(await page.getByTestId('appeal-compensation').count(), 0);
        } finally {
          await context.close();
        }
      });

      await t.test('an open appeal is withdrawn from its receipt', async () => {
        const { context, page } = await open();
        try {
          await page.goto('/appeal/receipt');
          await page.getByLabel('Receipt code').fill(openCode.toLowerCase());
          await page.getByRole('button', { name: 'Show the appeal' }).click();
          await page.waitForURL((u) => u.pathname === `/appeal/receipt/${openCode}`);
          await page.getByTestId('appeal-status').and(page.locator('[data-status="received"]')).waitFor();
          await page.getByRole('button', { name: 'Withdraw the appeal' }).click();
          await page.getByText('The measure stays as it is', { exact: false }).waitFor();
          await page.getByRole('button', { name: 'Yes, withdraw' }).click();
          await page.getByTestId('appeal-status').and(page.locator('[data-status="withdrawn"]')).waitFor();
          await page.getByText('You withdrew this appeal.').waitFor();
          assert.equal(await page.getByRole('button', { name: 'Withdraw the appeal' }).count(), 0);
        } finally {
          await context.close();
        }
      });

      await t.test('a mistyped or unknown receipt code is told plainly', async () => {
        const { context, page } = await open();
        try {
          await page.goto('/appeal/receipt/not-a-code');
          await page
            .getByTestId('error')
            .getByText('A receipt code has 12 letters and digits', { exact: false })
            .waitFor();
          await page.goto('/appeal/receipt/0000-0000-0000');
          await page.getByTestId('error').getByText('It was not found.').waitFor();
        } finally {
          await context.close();
        }
      });

      await t.test('the queue filters by status; an auditor reads without the forms', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.auditor');
          await page.goto('/governance/appeals');
          // the figures: this test's world has a rejected and a withdrawn appeal beside the demo's
          const stats = page.getByTestId('appeal-statistics');
          await stats.getByText('Appeals received').waitFor();
          await stats.getByText('Rejected', { exact: true }).waitFor();
          assert.match((await stats.innerText()) ?? '', /Rejected\s+1\b/);
          await page.getByLabel('Status').selectOption('withdrawn');
          await page.getByRole('button', { name: 'Apply' }).click();
          const rows = table(page, 'Appeals').getByRole('row');
          // the unfiltered rows stay until the filtered page arrives: wait for the rejected one to go
          await rows.filter({ hasText: rejectedCode }).waitFor({ state: 'detached' });
          await rows.filter({ hasText: openCode }).waitFor();
          for (const status of await table(page, 'Appeals').getByTestId('appeal-status').all())
            assert.equal(await status.getAttribute('data-status'), 'withdrawn');
          await page.getByLabel('Status').selectOption('rejected');
          await page.getByRole('button', { name: 'Apply' }).click();
          await rows.filter({ hasText: rejectedCode }).getByRole('link', { name: rejectedCode }).click();
          await page.waitForURL((u) => u.pathname === `/governance/appeals/${rejected.id}`);
          await page
            .getByTestId('appeal-decided')
            .getByText('Rejected by centre.supervisor', { exact: false })
            .waitFor();
          await page.getByTestId('appeal-holder').waitFor();
          assert.equal(await page.getByRole('form', { name: 'Record verification' }).count(), 0);
          assert.equal(await page.getByRole('form', { name: 'Decision' }).count(), 0);
        } finally {
          await context.close();
        }
      });
    });
  },
);
