/**
 * The warnings console in a real browser (Debian chromium via playwright-core) against the whole
 * platform in-process, on the seeded demo: the centre's analyst opens the queue at night and finds
 * the elderly person's high-risk warning on top, opens it (name and number in clear, the access
 * recorded), reads the call script in Chinese and English, records that the call went unanswered
 * (the warning moves on to a visit) and then that the person was dissuaded; the warning leaves the
 * open queue and is found among the closed ones. The queue renders in both languages. Another
 * person already paid: the payment opens a fund case linked from the warning. A supervisor's edit
 * of an SMS text with a link is refused with its message, and a stale edit is told. The demo's
 * warnings (src/demo/warnings.ts) are used; without any open one the test raises its own first. Skips when chromium or the
 * built console is missing. Leaves /tmp/warnings-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { apiAs, signIn, switchLanguage, table, withDemoConsole } from '../helpers/browser.ts';
import { luhnComplete } from '../../src/demo/seed.ts';

const SHOTS = '/tmp';
const desktop = { width: 1280, height: 860 };

/** Demo persons (src/demo/seed.ts) by their first card: 黄强, born 1952, and 张伟, born 1985. */
const ELDERLY = { card: '+8613810000700' };
const ADULT = { card: '+8613810000000' };
/** 李娜 (demo person 2): her first card, and her account at Demo Bank. */
const PAID = { card: '+8613810000200', account: luhnComplete('621700001000020') };

interface Summary {
  id: string;
  reference: string;
  riskLevel: string;
  priority: number;
  person: { ageGroup: string | null };
}

test(
  'warnings console: the elderly high-risk warning on top, its script, unanswered then dissuaded, out of the queue',
  { timeout: 600_000 },
  async (t) => {
    await withDemoConsole(t, async ({ platform, open: openAt, step }) => {
      const asAnalyst = await apiAs(platform.url, 'centre.analyst');
      let open = await asAnalyst<{ items: Summary[] }>('GET', '/v1/warnings?status=open&limit=100');
      if (!open.items.length) {
        // No demo warnings: an elderly man about to pay a flagged account, and an adult's scam SMS.
        await asAnalyst('POST', '/v1/warnings/triggers', {
          kind: 'fraud_sms',
          person: { msisdn: ADULT.card },
          scamType: 'customer_service_refund',
          amountAtRisk: 20_000,
          summary: 'E2E: a refund SMS from a listed sender',
        });
        await asAnalyst('POST', '/v1/warnings/triggers', {
          kind: 'flagged_payee',
          person: { msisdn: ELDERLY.card },
          scamType: 'investment_pension',
          amountAtRisk: 15_000_000,
          summary: 'E2E: a transfer of ¥150,000 to a flagged account held for a decision',
        });
        open = await asAnalyst<{ items: Summary[] }>('GET', '/v1/warnings?status=open&limit=100');
      }
      // The one on top by the API's order is the elderly person's high-risk warning.
      const top = open.items[0]!;
      assert.equal(top.person.ageGroup, 'elderly', 'the first open warning is an elderly person’s');
      assert.equal(top.riskLevel, 'high');
      // whom the page must show in clear (this read, too, is recorded)
      const clear = (await asAnalyst<{ person: { name: string } }>('GET', `/v1/warnings/${top.id}`)).person;

      const openPage = () => openAt(desktop);

      await step('the queue puts the elderly high-risk warning first, in both languages', async () => {
        const { context, page } = await openPage();
        try {
          await signIn(page, 'centre.analyst');
          // The navigation's warnings group holds the queue and the content library.
          const nav = page.locator('nav');
          await nav.getByRole('button', { name: 'Warnings', exact: true }).click();
          await nav.getByRole('link', { name: 'Content library' }).waitFor();
          await nav.getByRole('link', { name: 'Warning queue' }).click();
          await page.waitForURL((u) => u.pathname === '/warnings');
          await page.getByRole('heading', { name: 'Warnings', exact: true }).waitFor();
          const next = page.getByTestId('warning-next');
          await next.and(page.locator(`[data-reference="${top.reference}"]`)).waitFor();
          await next.getByTestId('warning-age').and(page.locator('[data-age-group="elderly"]')).waitFor();
          await next.getByTestId('warning-risk').and(page.locator('[data-risk="high"]')).waitFor();
          await next.getByTestId('warning-time-left').waitFor();
          const rows = table(page, 'Warnings').getByRole('row');
          // the header, then the warning on top
          await rows.nth(1).getByText(top.reference).waitFor();
          await rows.nth(1).getByText('Elderly', { exact: false }).waitFor();
          // masked in the queue: the name never shows in clear
          assert.ok(!(await page.locator('main').innerText()).includes(clear.name));
          await page.screenshot({ path: path.join(SHOTS, 'warnings-queue-en.png'), fullPage: true });

          await switchLanguage(page, '简体中文');
          await page.getByRole('heading', { name: '预警劝阻', exact: true }).waitFor();
          await next.getByText('下一位').waitFor();
          await next.getByText('老年人', { exact: false }).waitFor();
          await table(page, '预警').getByRole('columnheader', { name: '剩余时间' }).waitFor();
          await page.screenshot({ path: path.join(SHOTS, 'warnings-queue-zh.png'), fullPage: true });
          await switchLanguage(page, 'English');
        } finally {
          await context.close();
        }
      });

      await step('the warning shows whom to call, the signals, the plan and the script', async () => {
        const { context, page } = await openPage();
        try {
          await signIn(page, 'centre.analyst');
          await page.goto('/warnings');
          await page.getByTestId('warning-next').getByRole('link', { name: 'Open and call' }).click();
          await page.waitForURL((u) => u.pathname === `/warnings/${top.id}`);
          await page.getByRole('heading', { name: `Warning ${top.reference}` }).waitFor();
          const person = page.getByTestId('warning-person');
          await person.getByTestId('warning-person-name').getByText(clear.name, { exact: true }).waitFor();
          const phone = (await person.getByTestId('warning-person-phone').innerText()).replace(/\s/g, '');
          assert.ok(!phone.includes('*'), `the number is in clear (${phone})`);
          await person.getByText('recorded in the access log', { exact: false }).waitFor();
          await page.getByTestId('warning-triggers').getByTestId('warning-trigger-kind').first().waitFor();
          await page
            .getByTestId('warning-plan')
            .getByTestId('warning-step-status')
            .and(page.locator('[data-status="active"]'))
            .first()
            .waitFor();
          const script = page.getByTestId('warning-script');
          const shown = script.getByTestId('warning-script-text');
          await shown.waitFor();
          const firstLanguage = await shown.getAttribute('data-language');
          const other = firstLanguage === 'en' ? '中文' : 'English';
          await script.getByText(other, { exact: true }).click();
          await script
            .locator(
              `[data-testid="warning-script-text"][data-language="${firstLanguage === 'en' ? 'zh' : 'en'}"]`,
            )
            .waitFor();
          await page.screenshot({ path: path.join(SHOTS, 'warnings-detail-en.png'), fullPage: true });
        } finally {
          await context.close();
        }
      });

      await step(
        'unanswered moves the warning on; dissuaded closes it and it leaves the open queue',
        async () => {
          const { context, page } = await openPage();
          try {
            await signIn(page, 'centre.analyst');
            await page.goto(`/warnings/${top.id}`);
            const attempts = page.getByTestId('warning-attempts');
            const active = attempts.getByTestId('warning-active-step');
            await active.waitFor();
            const before = await active.getAttribute('data-channel');
            await attempts.getByRole('button', { name: 'No answer' }).click();
            // the next channel takes over at once
            await attempts
              .locator(`[data-testid="warning-active-step"]:not([data-channel="${before}"])`)
              .waitFor();
            await page
              .getByTestId('warning-plan')
              .getByTestId('warning-step-status')
              .and(page.locator('[data-status="unanswered"]'))
              .first()
              .waitFor();

            await page
              .getByTestId('warning-outcomes')
              .getByLabel('Note for the outcome (optional)')
              .fill('E2E: reached him at home; he will not pay and calls his son.');
            await page.getByTestId('warning-outcome-dissuaded').click();
            await page
              .getByTestId('warning-outcome')
              .and(page.locator('[data-outcome="dissuaded"]'))
              .waitFor();
            await page.getByTestId('warning-status').and(page.locator('[data-status="closed"]')).waitFor();
            assert.equal(
              await page.getByTestId('warning-outcomes').count(),
              0,
              'no outcome buttons once closed',
            );
            await page.screenshot({ path: path.join(SHOTS, 'warnings-dissuaded-en.png'), fullPage: true });

            await page.getByRole('link', { name: 'Back to the warnings' }).click();
            await page.waitForURL((u) => u.pathname === '/warnings');
            const queue = table(page, 'Warnings');
            await queue.getByRole('row').nth(1).waitFor();
            assert.equal(await queue.getByText(top.reference).count(), 0, 'gone from the open queue');
            await page.getByText('Closed', { exact: true }).click();
            await queue.getByText(top.reference).waitFor();
          } finally {
            await context.close();
          }
        },
      );

      await step('already paid: the payment opens a fund case, linked from the warning', async () => {
        // 李娜 (demo person 2) paid a fake customer-service "refund" fee before anyone reached her.
        const raised = await asAnalyst<{ warningId: string; reference: string }>(
          'POST',
          '/v1/warnings/triggers',
          {
            kind: 'relative_report',
            person: { msisdn: PAID.card },
            scamType: 'customer_service_refund',
            amountAtRisk: 800_000,
            summary: 'E2E: her son says she is on the phone with a refund agent',
          },
        );
        const { context, page } = await openPage();
        try {
          await signIn(page, 'centre.analyst');
          await page.goto(`/warnings/${raised.warningId}`);
          await page.getByRole('heading', { name: `Warning ${raised.reference}` }).waitFor();
          await page.getByTestId('warning-outcome-already_paid').click();
          const form = page.getByRole('form', { name: 'The payment already made' });
          // What is missing is said before anything goes to the server.
          await form.getByLabel('Amount paid (yuan)').fill('abc');
          await form.getByRole('button', { name: 'Record payment and open a fund case' }).click();
          await form.getByText('Enter the amount, both accounts and when it was paid.').waitFor();
          await form.getByLabel('Amount paid (yuan)').fill('8,000');
          await form.getByLabel('Paid from (account)').fill(PAID.account);
          await form.getByLabel('Paid to (account)').fill('6222020200112233445');
          await form.getByRole('button', { name: 'Record payment and open a fund case' }).click();
          const outcome = page
            .getByTestId('warning-outcome')
            .and(page.locator('[data-outcome="already_paid"]'));
          await outcome.waitFor();
          const href = await outcome.getByTestId('warning-fund-case').getAttribute('href');
          assert.match(href ?? '', /^\/funds\/cases\/[0-9a-f-]{36}$/);
          await page.screenshot({ path: path.join(SHOTS, 'warnings-already-paid-en.png'), fullPage: true });
        } finally {
          await context.close();
        }
      });

      await step(
        'the content library: a link in an SMS is refused with its message, a stale edit is told',
        async () => {
          const asSupervisor = await apiAs(platform.url, 'centre.supervisor');
          const { items } = await asSupervisor<{
            items: { id: string; title: string; body: string; version: number }[];
          }>(
            'GET',
            '/v1/warning-content?scamType=impersonate_police&audience=everyone&channel=sms&language=en',
          );
          const sms = items[0]!;
          assert.ok(sms, 'the library holds an English SMS against police impersonation');
          const { context, page } = await openPage();
          try {
            await signIn(page, 'centre.supervisor');
            await page.goto('/warnings/content');
            const filters = page.getByRole('form', { name: 'Filter the texts' });
            await filters.getByLabel('Scam type').selectOption('impersonate_police');
            await filters.getByLabel('Audience').selectOption('everyone');
            await filters.getByLabel('Channel').selectOption('sms');
            await filters.getByLabel('Language').selectOption('en');
            const card = page.locator(`[data-testid="content-item"][data-id="${sms.id}"]`);
            await card.getByText(sms.title).waitFor();
            // The list refetches once per filter: wait for the last one, not the first card shown.
            await page.waitForFunction(
              () => document.querySelectorAll('[data-testid="content-item"]').length === 1,
              undefined,
              { timeout: 10_000 },
            );
            assert.equal(await page.getByTestId('content-item').count(), 1);

            await card.getByRole('button', { name: 'Edit' }).click();
            const body = card.getByRole('textbox', { name: 'Text' });
            await body.fill(`${sms.body} Details: www.police-check.cn`);
            await card.getByTestId('content-link-hint').waitFor();
            await card.getByRole('button', { name: 'Save' }).click();
            await card
              .getByTestId('error')
              .getByText('An SMS or app notice must not contain a link', { exact: false })
              .waitFor();

            // Meanwhile a colleague saves the text: this edit is now of a stale version.
            await asSupervisor('PUT', `/v1/warning-content/${sms.id}`, {
              title: sms.title,
              body: `${sms.body} `.trim() + ' Call 110 at once.',
              version: sms.version,
            });
            await body.fill(`${sms.body} Hang up and call 110.`);
            await card.getByRole('button', { name: 'Save' }).click();
            await card.getByTestId('content-conflict').waitFor();
            await page.screenshot({ path: path.join(SHOTS, 'warnings-content-en.png'), fullPage: true });
            await card.getByRole('button', { name: 'Reload' }).click();
            await card.getByText('Call 110 at once.', { exact: false }).waitFor();
            await card.getByText(`Version ${sms.version + 1}`, { exact: false }).waitFor();
          } finally {
            await context.close();
          }
        },
      );
    });
  },
);
