/**
 * Fund cases in a real browser (Debian chromium via playwright-core) against the whole platform
 * in-process, on the seeded demo. The analyst opens the demo fund case (src/demo/funds.ts) and reads
 * its graph: the mule with what it holds and the stop-payment on it, the next account's freeze, two
 * victims' accounts, the ATM cash-out, and whose money the mule holds on hover. A second case is
 * opened over the API for a victim who paid a Demo Bank customer's account; Demo Bank returns the
 * mule's transactions (part passed on to another Demo Bank account, part taken at an ATM). The
 * analyst finds it in the list with the recovery figures, reads its graph, and sends the proposed
 * stop-payment with its amount prefilled. Demo Bank's operator finds it in the inbox with its time
 * left; acknowledging the first one again from a stale page shows the API's "already acknowledged";
 * the new one is acknowledged and executed. The analyst sees it executed (the stopped total and the
 * graph with it), renews it once and converts it to a freeze; the bank executes the freeze; closing
 * the case previews the pro rata return, asks for a note, and instructs it; the bank executes the
 * return. Last, a case is opened with the form. Skips when chromium or the built console is
 * missing. Leaves test-results/funds-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  apiSession,
  demoOrgId,
  RESULTS,
  signIn,
  switchLanguage,
  table,
  withDemoConsole,
} from '../helpers/browser.ts';

const desktop = { width: 1400, height: 1000 };
const VICTIM_ACCOUNT = '6228480000000017';
/** The demo fund case's accounts (src/demo/funds.ts): stopped at Demo Bank, frozen at Demo Pay. */
const DEMO_MULE = '6217000090000011';
const DEMO_HOP = '6217000090000029';
const PAID = 5_000_000; // ¥50,000.00
const PASSED_ON = 3_000_000; // ¥30,000.00 to the second account
const CASHED = 500_000; // ¥5,000.00 at an ATM

const yuan = (fen: number) => (fen / 100).toFixed(2);

interface StopPaymentView {
  id: string;
  reference: string;
  account: string;
  status: string;
}

test(
  'funds console: the analyst reads the trace and sends a stop-payment, the bank acknowledges and executes it',
  { timeout: 900_000 },
  async (t) => {
    await withDemoConsole(t, async ({ platform, open: openAt, step }) => {
      const s = platform.services;
      const demoBank = await demoOrgId(platform, '示范银行 Demo Bank');
      // Two of Demo Bank's customers' accounts: the mule the victim paid, and where it passed money on.
      const accounts = await s.db
        .selectFrom('bank_accounts')
        .select('account')
        .where('institution_org_id', '=', demoBank)
        // customers' accounts, not the demo fund case's mules
        .where('holder_person_id', 'is not', null)
        .orderBy('account')
        .limit(2)
        .execute();
      assert.equal(accounts.length, 2, 'the demo has two Demo Bank accounts');
      const MULE = accounts[0]!.account;
      const HOP2 = accounts[1]!.account;

      const asAnalyst = await apiSession(platform.url, 'centre.analyst');
      const asBank = await apiSession(platform.url, 'bank.operator');
      // The demo's fund case (src/demo/funds.ts): two victims paid DEMO_MULE, which passed money on.
      const demoCases = await asAnalyst<{
        items: { id: string; reference: string; transfers: { payeeAccount: string }[] }[];
      }>('GET', '/v1/fund-cases');
      const demoCase = demoCases.body.items.find((c) =>
        c.transfers.some((x) => x.payeeAccount === DEMO_MULE),
      );
      assert.ok(demoCase, 'the demo seeds a fund case');
      const paidAt = Date.now() - 90 * 60_000;
      const opened = await asAnalyst<{ id: string; reference: string }>('POST', '/v1/fund-cases', {
        source: 'analyst',
        victims: [
          {
            name: '陈静',
            phone: '+8613900000017',
            transfers: [
              {
                txnId: 'E2E-FUNDS-1',
                payerAccount: VICTIM_ACCOUNT,
                payeeAccount: MULE,
                amount: PAID,
                paidAt: new Date(paidAt).toISOString(),
              },
            ],
          },
        ],
      });
      assert.equal(opened.status, 201, JSON.stringify(opened.body));
      const caseId = opened.body.id;
      const reference = opened.body.reference;
      // Demo Bank returns the mule's transactions: part passed on, part taken in cash at an ATM.
      const at = (min: number) => new Date(paidAt + min * 60_000).toISOString();
      const returned = await asBank<{ added: number }>('POST', `/v1/fund-cases/${caseId}/transactions`, {
        transactions: [
          {
            ts: at(10),
            txn_id: 'E2E-FUNDS-2',
            payer_account: MULE,
            payee_account: HOP2,
            amount: yuan(PASSED_ON),
            currency: 'CNY',
            channel: 'mobile',
          },
          {
            ts: at(20),
            txn_id: 'E2E-FUNDS-3',
            payer_account: MULE,
            payee_account: '',
            amount: yuan(CASHED),
            currency: 'CNY',
            channel: 'atm',
          },
        ],
      });
      assert.equal(returned.status, 200, JSON.stringify(returned.body));
      const firstStops = await asBank<{ items: StopPaymentView[] }>('GET', '/v1/stop-payments/inbox');
      const first = firstStops.body.items.find((x) => x.account === MULE);
      assert.ok(first, 'the case opened with a stop-payment on the mule account');

      const open = () => openAt(desktop);

      await step(
        'the analyst opens the demo fund case and reads its graph: stopped, frozen, cashed out',
        async () => {
          const { context, page } = await open();
          try {
            await signIn(page, 'centre.analyst');
            await page.goto('/funds');
            await page.waitForURL((u) => u.pathname === '/funds/cases');
            await table(page, 'Fund cases').getByRole('link', { name: demoCase.reference }).click();
            await page.waitForURL((u) => u.pathname === `/funds/cases/${demoCase.id}`);
            const graph = page.getByTestId('trace-graph');
            const mule = graph.locator(`[data-testid=trace-node][data-account="${DEMO_MULE}"]`);
            await mule.getByText('holds ¥30,000.00').waitFor();
            await mule.getByText('stop-payment ¥30,000.00').waitFor();
            const hop = graph.locator(`[data-testid=trace-node][data-account="${DEMO_HOP}"]`);
            assert.equal(await hop.getAttribute('data-frozen'), '3000000', 'frozen at Demo Pay');
            await hop.getByText('frozen ¥30,000.00').waitFor();
            // Two victims' accounts at the left; the ATM cash-out at the end, in red.
            assert.equal(await graph.locator('[data-testid=trace-node][data-kind=victim]').count(), 2);
            await graph
              .locator('[data-testid=trace-node][data-kind=cashOut][data-channel=atm]')
              .getByText('¥20,000.00')
              .waitFor();
            // The mule holds both victims' money: whose, and how much, on hover.
            await mule.hover();
            const detail = page.getByTestId('trace-node-detail');
            await detail.and(page.locator(`[data-account="${DEMO_MULE}"]`)).waitFor();
            assert.equal(await detail.getByRole('row').count(), 3, 'a heading row and one per victim');
            await page.screenshot({ path: path.join(RESULTS, 'funds-demo-case.png'), fullPage: true });
          } finally {
            await context.close();
          }
        },
      );

      await step(
        'the analyst finds the new case with the recovery figures and reads the trace graph',
        async () => {
          const { context, page } = await open();
          try {
            await signIn(page, 'centre.analyst');
            const nav = page.locator('nav');
            await nav.getByRole('button', { name: 'Funds' }).click();
            await nav.getByRole('link', { name: 'Fund cases' }).click();
            await page.waitForURL((u) => u.pathname === '/funds/cases');
            await page.getByTestId('funds-statistics').getByTestId('funds-stat-cases').waitFor();
            const row = table(page, 'Fund cases').getByRole('row').filter({ hasText: reference });
            await row.getByText('¥50,000.00').first().waitFor();
            await page.screenshot({ path: path.join(RESULTS, 'funds-cases.png'), fullPage: true });
            await row.getByRole('link', { name: reference }).click();
            await page.waitForURL((u) => u.pathname === `/funds/cases/${caseId}`);

            const graph = page.getByTestId('trace-graph');
            await graph.waitFor();
            const mule = graph.locator(`[data-testid=trace-node][data-account="${MULE}"]`);
            await mule.waitFor();
            // The mule still holds what it neither passed on nor cashed out.
            assert.equal(await mule.getAttribute('data-held'), String(PAID - PASSED_ON - CASHED));
            assert.ok(Number(await mule.getAttribute('data-stopped')) >= 0);
            await mule.getByText('holds ¥15,000.00').waitFor();
            const hop2 = graph.locator(`[data-testid=trace-node][data-account="${HOP2}"]`);
            assert.equal(await hop2.getAttribute('data-held'), String(PASSED_ON));
            const edge = graph.locator(`[data-testid=trace-edge][data-from="${MULE}"][data-to="${HOP2}"]`);
            assert.equal(await edge.getAttribute('data-traced'), String(PASSED_ON));
            assert.equal(await edge.getByTestId('trace-edge-amount').textContent(), '¥30,000.00');
            const victim = graph.locator(`[data-testid=trace-node][data-account="${VICTIM_ACCOUNT}"]`);
            assert.equal(await victim.getAttribute('data-kind'), 'victim');
            const cash = graph.locator('[data-testid=trace-node][data-kind=cashOut]');
            assert.equal(await cash.count(), 1);
            await cash.getByText('ATM cash-out').waitFor();
            await cash.getByText('¥5,000.00').waitFor();
            // Columns by hop: victim, mule, second account, left to right.
            const x = async (l: typeof mule) => (await l.boundingBox())!.x;
            assert.ok((await x(victim)) < (await x(mule)) && (await x(mule)) < (await x(hop2)));

            await mule.hover();
            const detail = page.getByTestId('trace-node-detail');
            await detail.and(page.locator(`[data-account="${MULE}"]`)).waitFor();
            await detail.getByText('陈*', { exact: false }).waitFor();
            await detail.getByText('¥15,000.00').first().waitFor();
            await page.screenshot({ path: path.join(RESULTS, 'funds-case-graph.png'), fullPage: true });
          } finally {
            await context.close();
          }
        },
      );

      await step('the analyst sends the proposed stop-payment, its amount prefilled', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.analyst');
          await page.goto(`/funds/cases/${caseId}`);
          const proposal = page.locator(`[data-testid=proposal][data-account="${HOP2}"]`);
          assert.equal(await proposal.getByTestId('proposal-amount').inputValue(), yuan(PASSED_ON));
          await proposal.getByTestId('proposal-send').click();
          const sent = page.locator(`[data-testid=stop-payment-row][data-account="${HOP2}"]`);
          await sent.waitFor();
          const row = table(page, 'Stop-payments').getByRole('row').filter({ has: sent });
          await row.getByTestId('funds-status').and(page.locator('[data-status="sent"]')).waitFor();
          await row.getByText('¥30,000.00').first().waitFor();
          await row.getByTestId('funds-delivery').waitFor();
          // Sent, it is no longer proposed.
          await proposal.waitFor({ state: 'detached' });
        } finally {
          await context.close();
        }
      });

      await step('the bank acknowledges and executes it; a duplicate acknowledgement is told', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'bank.operator');
          const nav = page.locator('nav');
          await nav.getByRole('button', { name: 'Funds' }).click();
          await nav.getByRole('link', { name: 'Stop-payments' }).click();
          await page.waitForURL((u) => u.pathname === '/funds/inbox');
          // Rows by the request they show (the table's name changes with the language).
          const stopRow = (account: string) =>
            page
              .getByTestId('inbox-stop-payments')
              .getByRole('row')
              .filter({ has: page.locator(`[data-testid=stop-payment-row][data-account="${account}"]`) });
          const newRow = stopRow(HOP2);
          const firstRow = stopRow(MULE);
          await newRow.getByTestId('funds-time-left').getByText('left', { exact: false }).waitFor();
          await page.screenshot({ path: path.join(RESULTS, 'funds-inbox.png'), fullPage: true });

          // Someone at the bank acknowledged the first one meanwhile (over the API): this page is stale.
          const ack = await asBank<StopPaymentView>('POST', `/v1/stop-payments/${first.id}/acknowledge`, {});
          assert.equal(ack.status, 200);
          await firstRow.getByTestId('request-acknowledge').click();
          await page
            .getByTestId('funds-action-error')
            .and(page.locator('[data-code="already_acknowledged"]'))
            .getByText('This request was acknowledged already.')
            .waitFor();
          // The list is refreshed with it: acknowledged, nothing left to acknowledge.
          await firstRow
            .getByTestId('funds-status')
            .and(page.locator('[data-status="acknowledged"]'))
            .waitFor();
          assert.equal(await firstRow.getByTestId('request-acknowledge').count(), 0);

          await newRow.getByTestId('request-acknowledge').click();
          await newRow
            .getByTestId('funds-status')
            .and(page.locator('[data-status="acknowledged"]'))
            .waitFor();
          await newRow.getByTestId('request-execute').click();
          const dialog = page.getByRole('dialog', { name: 'Execute the stop-payment' });
          assert.equal(await dialog.getByTestId('execute-amount').inputValue(), yuan(PASSED_ON));
          await dialog.getByTestId('execute-confirm').click();
          await dialog.waitFor({ state: 'detached' });
          await newRow.getByTestId('funds-status').and(page.locator('[data-status="executed"]')).waitFor();
          await switchLanguage(page, '简体中文');
          await page.getByRole('heading', { name: '紧急止付与冻结' }).waitFor();
          await newRow.getByText('已执行').waitFor();
          await page.screenshot({ path: path.join(RESULTS, 'funds-inbox-executed-zh.png'), fullPage: true });
          await switchLanguage(page, 'English');
        } finally {
          await context.close();
        }
      });

      await step('the analyst sees it executed and the amount stopped', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.analyst');
          await page.goto(`/funds/cases/${caseId}`);
          const row = table(page, 'Stop-payments')
            .getByRole('row')
            .filter({ has: page.locator(`[data-testid=stop-payment-row][data-account="${HOP2}"]`) });
          await row.getByTestId('funds-status').and(page.locator('[data-status="executed"]')).waitFor();
          // Requested and stopped, both ¥30,000.00.
          assert.equal(await row.getByText('¥30,000.00').count(), 2);
          const stopped = Number((await page.getByTestId('case-stopped').innerText()).replace(/[^\d.]/g, ''));
          assert.ok(stopped >= PASSED_ON / 100, `stopped total ${stopped}`);
          const hop2 = page.locator(`[data-testid=trace-node][data-account="${HOP2}"]`);
          await page.waitForFunction(
            (sel) => Number(document.querySelector(sel)?.getAttribute('data-stopped')) > 0,
            `[data-testid=trace-node][data-account="${HOP2}"]`,
          );
          assert.equal(await hop2.getAttribute('data-stopped'), String(PASSED_ON));
          await page.screenshot({ path: path.join(RESULTS, 'funds-case-executed.png'), fullPage: true });
        } finally {
          await context.close();
        }
      });

      await step('the analyst renews the stop-payment, then converts it to a freeze', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.analyst');
          await page.goto(`/funds/cases/${caseId}`);
          const row = page
            .getByTestId('case-stop-payments')
            .getByRole('row')
            .filter({ has: page.locator(`[data-testid=stop-payment-row][data-account="${HOP2}"]`) });
          await row.getByTestId('stop-payment-renewals').getByText('0 / 1').waitFor();
          await row.getByTestId('stop-payment-renew').click();
          await row.getByTestId('stop-payment-renewals').getByText('1 / 1').waitFor();
          // Renewed as often as allowed: no more renewal offered.
          assert.equal(await row.getByTestId('stop-payment-renew').count(), 0);
          await row.getByTestId('stop-payment-convert').click();
          await row.getByTestId('funds-status').and(page.locator('[data-status="converted"]')).waitFor();
          const freeze = page
            .getByTestId('case-freezes')
            .getByRole('row')
            .filter({ has: page.locator(`[data-testid=freeze-row][data-account="${HOP2}"]`) });
          await freeze.getByTestId('funds-status').and(page.locator('[data-status="sent"]')).waitFor();
          await freeze.getByText('¥30,000.00').first().waitFor();
        } finally {
          await context.close();
        }
      });

      await step('the bank executes the freeze', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'bank.operator');
          await page.goto('/funds/inbox');
          const row = page
            .getByTestId('inbox-freezes')
            .getByRole('row')
            .filter({ has: page.locator(`[data-testid=freeze-row][data-account="${HOP2}"]`) });
          await row.getByTestId('request-acknowledge').click();
          await row.getByTestId('funds-status').and(page.locator('[data-status="acknowledged"]')).waitFor();
          await row.getByTestId('request-execute').click();
          const dialog = page.getByRole('dialog', { name: 'Execute the freeze' });
          assert.equal(await dialog.getByTestId('execute-amount').inputValue(), yuan(PASSED_ON));
          await dialog.getByTestId('execute-confirm').click();
          await row.getByTestId('funds-status').and(page.locator('[data-status="executed"]')).waitFor();
        } finally {
          await context.close();
        }
      });

      await step('closing the case shows the return first, then instructs it', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.analyst');
          await page.goto(`/funds/cases/${caseId}`);
          await page.getByTestId('case-close').click();
          const dialog = page.getByRole('dialog', { name: 'Close the case' });
          const preview = dialog.getByTestId('return-preview');
          // count() does not wait: the preview rows render after the dialog opens.
          await preview.first().waitFor();
          assert.equal(await preview.count(), 1, 'one victim, one frozen account');
          assert.equal(await preview.getAttribute('data-amount'), String(PASSED_ON));
          await dialog.getByTestId('case-close-confirm').click();
          await dialog.getByText('Write a note on why the case closes.').waitFor();
          await dialog.getByLabel('Note').fill('E2E: the frozen money goes back to the victim');
          await dialog.getByTestId('case-close-confirm').click();
          await dialog.waitFor({ state: 'detached' });
          await page
            .getByTestId('funds-status')
            .and(page.locator('[data-status="closed"]'))
            .first()
            .waitFor();
          const returned = page.getByTestId('case-returns').getByTestId('return-row');
          await returned.waitFor();
          assert.equal(await returned.getAttribute('data-amount'), String(PASSED_ON));
          await page
            .getByTestId('case-close-note')
            .getByText('goes back to the victim', { exact: false })
            .waitFor();
          // Closed, nothing more is offered.
          assert.equal(await page.getByTestId('case-close').count(), 0);
          assert.equal(await page.getByTestId('case-retrace').count(), 0);
        } finally {
          await context.close();
        }
      });

      await step('the bank executes the return', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'bank.operator');
          await page.goto('/funds/inbox');
          const row = page
            .getByTestId('inbox-returns')
            .getByRole('row')
            .filter({ has: page.locator(`[data-testid=return-row][data-amount="${PASSED_ON}"]`) });
          await row.getByText(reference).waitFor();
          await row.getByTestId('return-execute').click();
          await row.getByTestId('funds-status').and(page.locator('[data-status="executed"]')).waitFor();
          await page.screenshot({ path: path.join(RESULTS, 'funds-inbox-returned.png'), fullPage: true });
        } finally {
          await context.close();
        }
      });

      await step('the analyst opens a case with the form; what is missing is said first', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.analyst');
          await page.goto('/funds/cases');
          await page.getByTestId('funds-open-case').click();
          const dialog = page.getByRole('dialog', { name: 'Open a case' });
          await dialog.getByLabel('Name').fill('王小明');
          await dialog.getByRole('button', { name: 'Open the case' }).click();
          await dialog
            .getByText('Every transfer needs the account paid from and the account paid to.')
            .waitFor();
          await dialog.getByLabel('Paid from account').fill('6228480000000025');
          await dialog.getByLabel('Paid to account').fill('6200000000000018');
          await dialog.getByLabel('Amount (yuan)').fill('1,234.5');
          await dialog.getByLabel('Paid at').fill('2026-11-30T09:15');
          await dialog.getByRole('button', { name: 'Open the case' }).click();
          await page.waitForURL((u) => /^\/funds\/cases\/[0-9a-f-]{36}$/.test(u.pathname));
          await page.getByTestId('case-victim').getByText('王*', { exact: false }).waitFor();
          await page.getByTestId('case-loss').getByText('¥1,234.50').waitFor();
          await switchLanguage(page, '简体中文');
          await page.getByRole('heading', { name: '受害人转账' }).waitFor();
          await page.screenshot({ path: path.join(RESULTS, 'funds-case-opened-zh.png'), fullPage: true });
          await switchLanguage(page, 'English');
        } finally {
          await context.close();
        }
      });
    });
  },
);
