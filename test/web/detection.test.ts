/**
 * The detection capability's pages in a real browser (Debian chromium via playwright-core) against
 * the whole platform in-process, on the seeded demo plus a few stored detections (a mule account
 * seen by the demo bank in two episodes, a potential victim and a spoofed caller from the platform's
 * own worker): an analyst works the queue and confirms the mule, which lists the account; a
 * decision made meanwhile by someone else shows as such; the holder stays masked; an auditor reads
 * without the decision buttons; the bank's operator sees its own detections only; the centre's
 * administrator has no detection page. Skips when chromium or the built console is missing.
 * Leaves test-results/detection-queue.png, detection-detail.png and the -phone.png and -phone-zh.png
 * of both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
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
import { recordDetections } from '../../src/detection/store.ts';
import type { Detection } from '../../src/detection/records.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-02T08:00:00+08:00');
const MULE_ACCOUNT = '6222020011223344556';
const VICTIM_ID = '11010519491231002X';
const SPOOFED = '+8613812345678';

const mule: Detection = {
  detector: 'mule_account',
  subjectKind: 'account',
  subject: MULE_ACCOUNT,
  score: 0.86,
  window: { from: T0, to: T0 + 5 * HOUR },
  evidence: {
    inflow: 1_234_500,
    outflow: 1_200_000,
    passThrough: 0.97,
    meanDwellMinutes: 42,
    payers: 6,
    payees: 2,
    newAccount: true,
  },
};
/**
 * The same account three days earlier, weaker: the mule's other episode, when it was the last of
 * a chain of one-payer relays.
 */
const muleBefore: Detection = {
  ...mule,
  score: 0.62,
  window: { from: T0 - 72 * HOUR, to: T0 - 70 * HOUR },
  evidence: { inflow: 300_000, outflow: 296_000, passThrough: 0.99, payers: 1, payees: 1, relayChain: 3 },
};
const victim: Detection = {
  detector: 'potential_victim',
  subjectKind: 'holder',
  subject: VICTIM_ID,
  score: 0.71,
  window: { from: T0 + HOUR, to: T0 + 3 * HOUR },
  evidence: {
    calls: [{ caller: SPOOFED, at: T0 + HOUR, kind: 'voice', durationS: 1260, flaggedBy: 'spoofed_caller' }],
    transfer: { txnId: 'T-20261102-0042', at: T0 + 3 * HOUR, amount: 5_000_000, payee: MULE_ACCOUNT },
    newPayee: true,
    payeeFlagged: true,
    hoursAfterCall: 1.6,
  },
};
const spoofed: Detection = {
  detector: 'spoofed_caller',
  subjectKind: 'msisdn',
  subject: SPOOFED,
  score: 0.95,
  window: { from: T0 + HOUR, to: T0 + HOUR },
  evidence: { rule: 'intl', origin: 'intl', presentedMobile: true, knownCard: false },
};

async function noSideways(page: Page, width: number): Promise<void> {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width + 1, `the page scrolls sideways on a ${width} px screen (${scroll} px)`);
}

/** The detection id of a queue row, from its link. */
async function rowId(row: Locator): Promise<string> {
  const href = await row.getByRole('link').first().getAttribute('href');
  return href!.split('/').pop()!;
}

test(
  'detection console: the queue, a confirmed mule, a masked holder, readers',
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
      const bank = await demoOrgId(platform, '示范银行 Demo Bank');
      const byBank = await recordDetections(s, bank, [mule, muleBefore]);
      const byPlatform = await recordDetections(s, null, [victim, spoofed]);
      assert.equal(byBank.stored + byPlatform.stored, 4);
      browser = await launchBrowser();
      const b = browser;
      const open = (viewport?: { width: number; height: number }) =>
        openPatientPage(b, platform.url, errors, viewport);
      const phone = { width: 375, height: 812 };
      let muleId = '';
      let victimId = '';

      await t.test('an analyst sees the queue by score, with the holder masked', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.analyst');
          await page.locator('nav').getByRole('link', { name: 'Detection', exact: true }).click();
          await page.waitForURL((u) => u.pathname === '/detection');
          // the demo has detections of its own: the tiles say what the server counts
          const summary = page.getByTestId('detection-summary');
          const counts = (await (await page.request.get('/v1/detections/summary')).json()) as {
            items: { detector: string; status: string; count: number }[];
          };
          const openOf = (d: string) =>
            counts.items.find((x) => x.detector === d && x.status === 'open')?.count ?? 0;
          assert.ok(openOf('mule_account') >= 2 && openOf('spoofed_caller') >= 1);
          for (const d of ['mule_account', 'spoofed_caller', 'potential_victim', 'simbox'])
            await summary
              .locator(`[data-detector="${d}"]`)
              .getByText(String(openOf(d)), { exact: true })
              .waitFor();

          const queue = table(page, 'Detection queue');
          const rows = queue.getByRole('row');
          const spoofedRow = rows.filter({ hasText: SPOOFED });
          const muleRow = rows.filter({ hasText: MULE_ACCOUNT }).filter({ hasText: '0.86' });
          const earlierMuleRow = rows.filter({ hasText: MULE_ACCOUNT }).filter({ hasText: '0.62' });
          const holderRow = rows.filter({ hasText: '002X' });
          await spoofedRow.waitFor();
          const scores = (await queue.getByTestId('detection-score').allInnerTexts()).map(Number);
          assert.deepEqual(
            scores,
            [...scores].sort((a, b) => b - a),
            'highest score first',
          );
          const texts = await rows.allInnerTexts();
          const at = (needle: string, score: string) =>
            texts.findIndex((x) => x.includes(needle) && x.includes(score));
          assert.ok(
            at(SPOOFED, '0.95') < at(MULE_ACCOUNT, '0.86') &&
              at(MULE_ACCOUNT, '0.86') < at('002X', '0.71') &&
              at('002X', '0.71') < at(MULE_ACCOUNT, '0.62'),
            'the seeded four in score order',
          );
          await spoofedRow.getByText('Spoofed caller number').waitFor();
          await spoofedRow.getByText('Flag', { exact: true }).waitFor();
          await muleRow.getByText('Re-verify real name').waitFor();

          await holderRow.getByText('Potential victim').waitFor();
          await holderRow.getByTestId('detection-masked').getByText('masked').waitFor();
          const shown = await holderRow.getByTestId('detection-subject').innerText();
          assert.ok(!shown.includes(VICTIM_ID), `the id number is masked: ${shown}`);
          assert.match(shown, /110\*+002X/);
          assert.ok(
            !(await page.content()).includes(VICTIM_ID),
            'the clear id number is nowhere on the page',
          );

          // filters: a detector's tile shows its open detections; the subject search finds one
          await summary.locator('[data-detector="mule_account"]').click();
          await spoofedRow.waitFor({ state: 'detached' });
          await earlierMuleRow.waitFor();
          const detectors = await queue.getByRole('link').allInnerTexts();
          assert.deepEqual(new Set(detectors), new Set(['Mule account']));
          assert.equal(detectors.length, openOf('mule_account'));
          await page.getByLabel('Detector').selectOption('');
          await page.getByLabel('Subject', { exact: true }).fill(SPOOFED);
          await page.getByRole('button', { name: 'Apply' }).click();
          await earlierMuleRow.waitFor({ state: 'detached' });
          assert.deepEqual(await queue.getByTestId('detection-score').allInnerTexts(), ['0.95']);
          await page.getByLabel('Subject', { exact: true }).fill('');
          await page.getByLabel('Status').selectOption('rejected');
          await page.getByRole('button', { name: 'Apply' }).click();
          await queue.getByText('No detections match the filters.').waitFor();
          await page.getByLabel('Status').selectOption('open');
          await page.getByRole('button', { name: 'Apply' }).click();
          await holderRow.waitFor();
          await page.screenshot({ path: path.join(RESULTS, 'detection-queue.png'), fullPage: true });

          muleId = await rowId(muleRow);
          victimId = await rowId(holderRow);
          // the whole row opens the detail
          await muleRow.getByTestId('detection-subject').click();
          await page.waitForURL((u) => u.pathname === `/detection/${muleId}`);
        } finally {
          await context.close();
        }
      });

      await t.test('the analyst confirms the mule account with a reason and it is listed', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.analyst');
          await page.goto(`/detection/${muleId}`);
          await page.getByTestId('detection-detector').getByText('Mule account').waitFor();
          await page
            .getByTestId('detection-about')
            .getByText('receive from many payers', { exact: false })
            .waitFor();
          const evidence = page.getByTestId('detection-evidence');
          await evidence
            .getByRole('row')
            .filter({ hasText: 'Money in' })
            .getByText('12,345.00', { exact: false })
            .waitFor();
          await evidence.getByRole('row').filter({ hasText: 'Passed on fast' }).getByText('97%').waitFor();
          await evidence.getByRole('row').filter({ hasText: 'New account' }).getByText('Yes').waitFor();
          const measures = page.getByTestId('detection-measures');
          await measures.locator('[data-measure="re_verify"]').getByText('Applies to: the holder').waitFor();
          await measures
            .locator('[data-measure="flag"]')
            .getByText('receives from many and passes money on fast')
            .waitFor();
          await page
            .getByTestId('detection-listable')
            .and(page.locator('[data-listable="true"]'))
            .getByText('The subject is listed in the registry', { exact: false })
            .waitFor();
          const history = table(page, 'Other episodes of this subject');
          assert.equal(await history.getByTestId('detection-score').count(), 1);
          await history.getByText('0.62').waitFor();

          await page.getByRole('button', { name: 'Confirm', exact: true }).click();
          const dialog = page.getByRole('dialog');
          await dialog.getByText(`Confirm ${MULE_ACCOUNT} as fraud?`, { exact: false }).waitFor();
          await dialog.getByRole('button', { name: 'Confirm detection' }).click();
          await dialog.getByText('Give a reason.').waitFor();
          await dialog.getByLabel('List as').selectOption('card_account_dealing');
          await dialog.getByLabel('Reason').fill('E2E: six payers in five hours, passed on within the hour');
          await dialog.getByRole('button', { name: 'Confirm detection' }).click();
          await dialog.waitFor({ state: 'detached' });

          const decision = page.getByTestId('detection-decision');
          await decision.getByText('Confirmed by centre.analyst on', { exact: false }).waitFor();
          await decision.getByText('E2E: six payers in five hours', { exact: false }).waitFor();
          await page.getByTestId('detection-status').first().getByText('Confirmed').waitFor();
          assert.equal(await page.getByRole('button', { name: 'Confirm', exact: true }).count(), 0);
          assert.equal(await page.getByRole('button', { name: 'Reject', exact: true }).count(), 0);
          await page.screenshot({ path: path.join(RESULTS, 'detection-detail.png'), fullPage: true });

          // deciding twice is refused
          const again = await page.request.post(`/v1/detections/${muleId}/decision`, {
            data: { decision: 'reject', reason: 'again' },
          });
          assert.equal(again.status(), 409);
          assert.equal(((await again.json()) as { code: string }).code, 'detection_decided');

          await page.getByTestId('detection-listing').click();
          await page.waitForURL((u) => u.pathname.startsWith('/registry/listings/'));
          await page.getByRole('heading', { name: MULE_ACCOUNT, exact: false }).first().waitFor();
        } finally {
          await context.close();
        }
      });

      await t.test('a decision made meanwhile shows a clear message', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.analyst');
          await page.goto(`/detection/${victimId}`);
          await page.getByTestId('detection-listable').getByText('Not listed', { exact: false }).waitFor();
          await page.getByTestId('detection-evidence').getByText(SPOOFED, { exact: false }).waitFor();
          // no category to choose: a potential victim is never listed
          await page.getByRole('button', { name: 'Confirm', exact: true }).click();
          const dialog = page.getByRole('dialog');
          assert.equal(await dialog.getByLabel('List as').count(), 0);
          await dialog.getByRole('button', { name: 'Cancel' }).click();
          await dialog.waitFor({ state: 'detached' });

          const other = await page.request.post(`/v1/detections/${victimId}/decision`, {
            data: { decision: 'confirm', reason: 'E2E: warned by phone' },
          });
          assert.equal(other.status(), 200);
          await page.getByRole('button', { name: 'Reject', exact: true }).click();
          await dialog.getByLabel('Reason').fill('E2E: an ordinary payment');
          await dialog.getByRole('button', { name: 'Reject' }).click();
          await dialog
            .getByTestId('error')
            .getByText('This detection was decided already', { exact: false })
            .waitFor();
          await dialog.getByRole('button', { name: 'Cancel' }).click();
          await page.getByTestId('detection-conflict').getByRole('button', { name: 'Reload' }).click();
          await page.getByTestId('detection-decision').getByText('E2E: warned by phone').waitFor();
          assert.equal(await page.getByTestId('detection-conflict').count(), 0);
        } finally {
          await context.close();
        }
      });

      await t.test('on a phone the queue and the detail fit the screen', async () => {
        const { context, page } = await open(phone);
        try {
          await signIn(page, 'centre.analyst');
          await page.goto('/detection');
          await table(page, 'Detection queue').getByRole('row').filter({ hasText: SPOOFED }).waitFor();
          await noSideways(page, phone.width);
          await page.screenshot({ path: path.join(RESULTS, 'detection-queue-phone.png'), fullPage: true });
          await page.goto(`/detection/${victimId}`);
          await page.getByTestId('detection-masked').first().waitFor();
          await page.getByTestId('detection-evidence').waitFor();
          await noSideways(page, phone.width);
          await page.screenshot({ path: path.join(RESULTS, 'detection-detail-phone.png'), fullPage: true });

          // Chinese, the console's first language
          await switchLanguage(page, '简体中文');
          await page.getByTestId('detection-masked').first().getByText('已脱敏').waitFor();
          await page.getByTestId('detection-detector').getByText('潜在受害人').waitFor();
          await page.getByTestId('detection-measures').getByText('预警').waitFor();
          await noSideways(page, phone.width);
          await page.screenshot({
            path: path.join(RESULTS, 'detection-detail-phone-zh.png'),
            fullPage: true,
          });
          await page.goto('/detection');
          await table(page, '研判队列')
            .getByRole('row')
            .filter({ hasText: SPOOFED })
            .getByText('改号呼叫')
            .waitFor();
          await noSideways(page, phone.width);
          await page.screenshot({ path: path.join(RESULTS, 'detection-queue-phone-zh.png'), fullPage: true });
        } finally {
          await context.close();
        }
      });

      await t.test('an auditor reads without the decision buttons', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.auditor');
          await page.goto('/detection');
          await page.getByText('You can read the detections', { exact: false }).waitFor();
          const spoofedId = await rowId(
            table(page, 'Detection queue').getByRole('row').filter({ hasText: SPOOFED }),
          );
          await page.goto(`/detection/${spoofedId}`);
          await page.getByTestId('detection-evidence').getByText('Rule').waitFor();
          await page.getByTestId('detection-status').first().getByText('Open').waitFor();
          for (const name of ['Confirm', 'Reject'])
            assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
          await page.goto(`/detection/${muleId}`);
          await page
            .getByTestId('detection-decision')
            .getByText('Confirmed by centre.analyst', { exact: false })
            .waitFor();
          await page.getByTestId('detection-listing').waitFor();
        } finally {
          await context.close();
        }
      });

      await t.test(
        "the bank's operator sees the bank's detections only; the centre's administrator none",
        async () => {
          const { context, page } = await open();
          try {
            // The bank's system sends transfers; two wait for the operator's feed, one came too late.
            // Its second system is heard but stuck (its `through` unmoved for 40 minutes, where
            // this centre reports a feed unmoved for 20 as stuck).
            s.config.feedStuckMs = 20 * 60_000;
            const mobile = await demoOrgId(platform, '示范移动 Demo Mobile');
            const T = Date.parse('2026-11-02T10:00:00+08:00');
            await s.db
              .insertInto('detection_feeds')
              .values([
                { organisation_id: mobile, kind: 'calls', name: 'main', through: T },
                { organisation_id: bank, kind: 'transactions', name: 'core', through: T + 600_000, late: 1 },
                {
                  organisation_id: bank,
                  kind: 'transactions',
                  name: 'cards',
                  through: T + 900_000,
                  moved_at: new Date(Date.now() - 40 * 60_000),
                },
              ])
              .execute();
            await s.db
              .insertInto('detection_staged')
              .values(
                [1, 2].map((i) => ({
                  organisation_id: bank,
                  kind: 'transactions' as const,
                  name: 'core',
                  ts: T + 60_000 * i,
                  last_ts: T + 60_000 * i,
                  entries: '[]',
                })),
              )
              .execute();
            await signIn(page, 'bank.operator');
            await page.locator('nav').getByRole('link', { name: 'Detection', exact: true }).click();
            const feeds = table(page, 'Records your systems send');
            await feeds.getByText('transactions/core', { exact: true }).waitFor();
            assert.deepEqual(await feeds.getByTestId('stream-feed').allInnerTexts(), [
              'transactions/cards',
              'transactions/core',
            ]);
            const core = feeds.getByRole('row').filter({ hasText: 'transactions/core' });
            assert.equal(await core.getByTestId('stream-feed-staged').innerText(), '2');
            assert.equal(await core.getByTestId('stream-feed-status').getAttribute('data-status'), 'current');
            assert.equal(await core.getByTestId('stream-feed-stuck').count(), 0);
            // The stuck one: a badge on its row and a warning that names it.
            const stuck = feeds.getByRole('row').filter({ hasText: 'transactions/cards' });
            assert.equal(
              await stuck.getByTestId('stream-feed-stuck').innerText(),
              'Stuck: through last moved 40 min. ago',
            );
            await page
              .getByTestId('own-feeds-stuck')
              .getByText('Your feed has stopped moving on: transactions/cards', { exact: true })
              .waitFor();
            await page
              .getByTestId('own-feeds-stuck')
              .getByText('has not moved for 20 minutes or more', { exact: false })
              .waitFor();
            await page
              .getByTestId('own-feeds-held')
              .getByText('once it has been quiet for 10 minutes.', { exact: false })
              .waitFor();
            await page
              .getByTestId('own-feeds-late')
              .getByText('Some of your records came too late')
              .waitFor();
            assert.ok(
              !(await page.getByTestId('own-feeds').innerText()).includes('Demo Mobile'),
              'not who holds it',
            );
            await s.db.deleteFrom('detection_staged').execute();
            await s.db.deleteFrom('detection_feeds').execute();
            const queue = table(page, 'Detection queue');
            // the bank's open episode of the mule (the other one is confirmed); not the platform's
            await queue
              .getByRole('row')
              .filter({ hasText: MULE_ACCOUNT })
              .filter({ hasText: '0.62' })
              .waitFor();
            assert.equal(await queue.getByRole('row').filter({ hasText: SPOOFED }).count(), 0);
            assert.equal(await queue.getByRole('row').filter({ hasText: '002X' }).count(), 0);
            const own = (await (await page.request.get('/v1/detections')).json()) as { items: unknown[] };
            assert.equal(await queue.getByTestId('detection-score').count(), own.items.length);
            assert.equal(await page.getByRole('button', { name: 'Confirm', exact: true }).count(), 0);
            await page.getByRole('button', { name: 'Sign out' }).first().click();
            await page.waitForURL((u) => u.pathname === '/login');

            await signIn(page, 'centre.admin');
            assert.equal(
              await page.locator('nav').getByRole('link', { name: 'Detection', exact: true }).count(),
              0,
            );
            await page.goto('/detection');
            await page.getByText('This page is not available to your role or organisation.').waitFor();
          } finally {
            await context.close();
          }
        },
      );

      await t.test('the earlier episode says it ended a chain of relays', async () => {
        const { context, page } = await open();
        try {
          const earlier = await s.db
            .selectFrom('detections')
            .select('id')
            .where('detector', '=', 'mule_account')
            .where('window_from', '=', new Date(muleBefore.window.from))
            .executeTakeFirstOrThrow();
          await signIn(page, 'centre.analyst');
          await page.goto(`/detection/${earlier.id}`);
          const evidence = page.getByTestId('detection-evidence');
          await evidence
            .getByRole('row')
            .filter({ hasText: 'Relays in a row (this one the last)' })
            .getByText('3', { exact: true })
            .waitFor();
          await switchLanguage(page, '简体中文');
          await evidence
            .getByRole('row')
            .filter({ hasText: '连续过渡账户数（含本账户）' })
            .getByText('3', { exact: true })
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
