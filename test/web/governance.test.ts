/**
 * The governance capability's pages in a real browser (Debian chromium via playwright-core) against
 * the whole platform in-process, on the seeded demo plus one fraud caller detected by Demo Mobile and
 * confirmed by the centre's analyst: the analyst issues its instructions from the detection page
 * (asking again shows them as issued before) and sees them in the centre's list; Demo Mobile's
 * operator finds them in the inbox, acknowledges receipt and reports execution of one, and is told
 * clearly when the centre withdrew the other meanwhile; the centre then reads the executed state in
 * the timeline, in English and Chinese. Skips when chromium or the built console is missing.
 * Leaves test-results/governance-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  browserAvailable,
  CHROMIUM_MISSING,
  CONSOLE_MISSING,
  consoleBuilt,
  launchBrowser,
  demoOrgId,
  openPatientPage,
  startDemoPlatform,
  RESULTS,
  signIn,
  switchLanguage,
  table,
} from '../helpers/browser.ts';
import { decideDetection, recordDetections } from '../../src/detection/store.ts';
import { withdrawInstruction } from '../../src/governance/store.ts';
import type { Detection } from '../../src/detection/records.ts';
import type { Principal } from '../../src/identity/model.ts';

const T0 = Date.parse('2026-11-02T08:00:00+08:00');
const CALLER = '+8613900001111';

const fraudCaller: Detection = {
  detector: 'fraud_caller',
  subjectKind: 'msisdn',
  subject: CALLER,
  score: 0.91,
  window: { from: T0, to: T0 + 3_600_000 },
  evidence: { calls: 212, distinctCallees: 190, callBackShare: 0.02 },
};

/** The id of the instruction a detail page shows, from its address. */
function idOf(page: Page): string {
  return new URL(page.url()).pathname.split('/').pop()!;
}

test(
  'governance console: instructions from a confirmed detection, the inbox, receipt and execution',
  { timeout: 900_000 },
  async (t) => {
    if (!browserAvailable()) return t.skip(CHROMIUM_MISSING);
    if (!consoleBuilt()) return t.skip(CONSOLE_MISSING);
    fs.mkdirSync(RESULTS, { recursive: true });
    const platform = await startDemoPlatform();
    let browser: Browser | undefined;
    const errors: string[] = [];
    try {
      const s = platform.services;
      const mobile = await demoOrgId(platform, '示范移动 Demo Mobile');
      const analyst = await s.db
        .selectFrom('users')
        .select(['id', 'organisation_id'])
        .where('username', '=', 'centre.analyst')
        .executeTakeFirstOrThrow();
      const stored = await recordDetections(s, mobile, [fraudCaller]);
      assert.equal(stored.stored, 1);
      const detection = { id: stored.ids[0]! };
      const principal: Principal = {
        kind: 'user',
        id: analyst.id,
        name: 'centre.analyst',
        organisationId: analyst.organisation_id,
        organisationKind: 'anti_fraud_centre',
        roles: ['analyst'],
        scopes: [],
      };
      await decideDetection(s, principal, detection.id, {
        decision: 'confirm',
        reason: 'E2E: 190 strangers called in an hour',
      });

      browser = await launchBrowser();
      const b = browser;
      const open = (viewport?: { width: number; height: number }) =>
        openPatientPage(b, platform.url, errors, viewport);
      let restrictId = '';
      let reVerifyId = '';

      await t.test('the analyst issues instructions from the confirmed detection', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.analyst');
          await page.goto(`/detection/${detection.id}`);
          await page.getByTestId('detection-status').first().getByText('Confirmed').waitFor();
          await page.getByRole('button', { name: 'Issue instructions' }).click();
          const dialog = page.getByRole('dialog');
          const basis = dialog.getByLabel('Legal basis');
          // a number's default: Art. 11, on phone cards
          assert.equal(await basis.inputValue(), 'atof_art11');
          await dialog.getByText('Art. 32', { exact: false }).first().waitFor({ state: 'attached' });
          await dialog.getByRole('button', { name: 'Issue', exact: true }).click();
          await dialog.waitFor({ state: 'detached' });

          const created = page.getByTestId('issue-created');
          await created.getByText('Issued now').waitFor();
          await created.getByRole('link', { name: 'Restrict card functions' }).waitFor();
          await created.getByRole('link', { name: 'Re-verify real name' }).waitFor();
          assert.equal(await created.getByRole('link').count(), 2);
          assert.equal(await created.getByText('Demo Mobile', { exact: false }).count(), 2);
          await page.screenshot({ path: path.join(RESULTS, 'governance-issued.png'), fullPage: true });

          // asking again issues nothing new: the same two, as issued before
          await page.getByRole('button', { name: 'Issue instructions' }).click();
          await dialog.getByRole('button', { name: 'Issue', exact: true }).click();
          const existing = page.getByTestId('issue-existing');
          await existing.getByText('Issued before').waitFor();
          assert.equal(await existing.getByRole('link').count(), 2);
          assert.equal(await page.getByTestId('issue-created').count(), 0);

          // the centre's list: both, issued to Demo Mobile, due in its local time
          await page.locator('nav').getByRole('button', { name: 'Instructions & appeals' }).click();
          await page.locator('nav').getByRole('link', { name: 'Instructions', exact: true }).click();
          await page.getByRole('heading', { name: 'Disposal instructions' }).waitFor();
          const list = table(page, 'Instructions');
          // the demo's own restriction (under appeal) is in the list too: this detection's is on CALLER
          const restrictRow = list
            .getByRole('row')
            .filter({ hasText: 'Restrict card functions' })
            .filter({ hasText: CALLER });
          const reVerifyRow = list.getByRole('row').filter({ hasText: 'Re-verify real name' });
          await restrictRow.getByText(CALLER).waitFor();
          await restrictRow.getByText('示范移动 Demo Mobile').waitFor();
          await restrictRow.getByTestId('instruction-status').getByText('Issued').waitFor();
          // Demo Mobile keeps the default zone, Asia/Shanghai
          assert.match(
            await restrictRow.getByTestId('instruction-deadline').innerText(),
            /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\+08:00$/,
          );
          await reVerifyRow.waitFor();
          await page.screenshot({ path: path.join(RESULTS, 'governance-list.png'), fullPage: true });

          // the overdue filter: none is overdue yet
          await page.getByLabel('Overdue', { exact: true }).selectOption('true');
          await page.getByRole('button', { name: 'Apply' }).click();
          await list.getByText('No instructions match the filters.').waitFor();
          await page.getByLabel('Overdue', { exact: true }).selectOption('');
          await page.getByLabel('Measure', { exact: true }).selectOption('restrict_functions');
          await page.getByRole('button', { name: 'Apply' }).click();
          await reVerifyRow.waitFor({ state: 'detached' });
          await restrictRow.getByRole('link').click();
          await page.waitForURL((u) => /^\/governance\/[0-9a-f-]{36}$/.test(u.pathname));
          restrictId = idOf(page);
          await page
            .getByTestId('instruction-functions')
            .getByText('Outgoing calls, SMS', { exact: false })
            .waitFor();
          await page
            .getByTestId('instruction-legal-basis')
            .getByText('Anti-Telecom and Online Fraud Law, Art. 11')
            .waitFor();
          await page.getByTestId('instruction-detection').click();
          await page.waitForURL((u) => u.pathname === `/detection/${detection.id}`);

          const all = (await (await page.request.get('/v1/instructions')).json()) as {
            items: { id: string; measure: string }[];
          };
          reVerifyId = all.items.find((i) => i.measure === 're_verify')!.id;
        } finally {
          await context.close();
        }
      });

      await t.test('the operator acknowledges receipt and reports execution from the inbox', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'telecom.operator');
          await page.locator('nav').getByRole('button', { name: 'Instructions & appeals' }).click();
          await page.locator('nav').getByRole('link', { name: 'Instructions', exact: true }).click();
          await page.getByRole('heading', { name: 'Instruction inbox' }).waitFor();
          const inbox = table(page, 'Instructions');
          await inbox.getByRole('row').filter({ hasText: 'Re-verify real name' }).waitFor();
          const row = inbox
            .getByRole('row')
            .filter({ hasText: 'Restrict card functions' })
            .filter({ hasText: CALLER });
          // the inbox has no institution column: it is all theirs
          assert.equal(await inbox.getByRole('columnheader', { name: 'Receiving institution' }).count(), 0);
          await row.getByText(CALLER).click();
          await page.waitForURL((u) => u.pathname === `/governance/${restrictId}`);

          const actions = page.getByTestId('instruction-actions');
          assert.equal(await actions.getByRole('button', { name: 'Report execution' }).count(), 0);
          assert.equal(await actions.getByRole('button', { name: 'Withdraw' }).count(), 0);
          await actions.getByRole('button', { name: 'Acknowledge receipt' }).click();
          await page.getByTestId('instruction-status').first().getByText('Received').waitFor();

          await actions.getByRole('button', { name: 'Report execution' }).click();
          const dialog = page.getByRole('dialog');
          await dialog.getByText(`carried out on ${CALLER}`, { exact: false }).waitFor();
          await dialog
            .getByLabel('Note (optional)')
            .fill('E2E: outgoing calls and SMS barred, ticket CM-4711');
          await dialog.getByRole('button', { name: 'Report execution' }).click();
          await dialog.waitFor({ state: 'detached' });
          await page.getByTestId('instruction-status').first().getByText('Executed').waitFor();
          await page
            .getByTestId('instruction-executed')
            .getByText('ticket CM-4711', { exact: false })
            .waitFor();
          assert.equal(await page.getByTestId('instruction-actions').count(), 0);
          await page.screenshot({ path: path.join(RESULTS, 'governance-executed.png'), fullPage: true });

          // the centre withdraws the other one meanwhile: acknowledging it says so clearly
          await page.goto(`/governance/${reVerifyId}`);
          await page.getByTestId('instruction-status').first().getByText('Issued').waitFor();
          await withdrawInstruction(s, principal, reVerifyId, 'E2E: issued by mistake');
          await page.getByRole('button', { name: 'Acknowledge receipt' }).click();
          await page.getByTestId('error').getByText('The centre withdrew this instruction.').waitFor();
          await page.getByTestId('instruction-conflict').getByRole('button', { name: 'Reload' }).click();
          await page.getByTestId('instruction-status').first().getByText('Withdrawn').waitFor();
          await page.getByTestId('instruction-withdrawn').getByText('E2E: issued by mistake').waitFor();
          assert.equal(await page.getByTestId('instruction-conflict').count(), 0);
        } finally {
          await context.close();
        }
      });

      await t.test('the centre reads the execution in the timeline, in English and Chinese', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.analyst');
          await page.goto(`/governance/${restrictId}`);
          await page.getByTestId('instruction-status').first().getByText('Executed').waitFor();
          const timeline = table(page, 'Timeline');
          const executed = timeline.getByRole('row').filter({ hasText: 'Execution reported' });
          await executed.getByText('telecom.operator').waitFor();
          await executed.getByText('ticket CM-4711', { exact: false }).waitFor();
          await timeline.getByRole('row').filter({ hasText: 'Receipt acknowledged' }).waitFor();
          const actions = await timeline.getByRole('row').allInnerTexts();
          const at = (x: string) => actions.findIndex((r) => r.includes(x));
          assert.ok(at('Receipt acknowledged') < at('Execution reported'), 'oldest first');
          await page.screenshot({ path: path.join(RESULTS, 'governance-detail.png'), fullPage: true });

          await switchLanguage(page, '简体中文');
          await page.getByTestId('instruction-status').first().getByText('已执行').waitFor();
          await page.getByTestId('instruction-legal-basis').getByText('《反电信网络诈骗法》第11条').waitFor();
          await table(page, '处理记录').getByRole('row').filter({ hasText: '反馈执行' }).waitFor();
          await page.screenshot({ path: path.join(RESULTS, 'governance-detail-zh.png'), fullPage: true });

          await page.goto('/governance');
          const list = table(page, '指令列表');
          await list.getByRole('row').filter({ hasText: '已撤回' }).getByText('重新实名核验').waitFor();
          await page.getByLabel('状态', { exact: true }).selectOption('executed');
          await page.getByRole('button', { name: '筛选' }).click();
          await list.getByRole('row').filter({ hasText: '重新实名核验' }).waitFor({ state: 'detached' });
          await list
            .getByRole('row')
            .filter({ hasText: '限制电话卡功能' })
            .filter({ hasText: CALLER })
            .getByText('已执行')
            .waitFor();
        } finally {
          await context.close();
        }
      });

      await t.test('no page had an uncaught error', () => {
        assert.deepEqual(errors, []);
      });
    } finally {
      await browser?.close();
      await platform.close();
    }
  },
);
