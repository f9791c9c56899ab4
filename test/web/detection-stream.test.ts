/**
 * The streaming detection page (`/detection/stream`) in a real browser (Debian chromium via
 * playwright-core) against the whole platform in-process, on the seeded demo plus 40 call records
 * published into the embedded record stream (the oldest pruned away): with no checkpoint yet it
 * says how to start a worker; then three workers' checkpoints are stored — one current, one behind
 * and silent for an hour (stalled), one whose unread entries were pruned (missed) — and the refresh
 * shows them with their badges and the alerts saying what to do; new records show on their own
 * within the 15 s refresh. The centre's administrator reaches the page by its address, releases a
 * feed and retires the stalled worker (the page then names its partitions as without a worker); a
 * bank's operator has neither the link nor the page. Skips when chromium or the built console is missing.
 * Leaves test-results/detection-stream.png, -empty.png, -phone.png and -phone-zh.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { demoOrgId, RESULTS, signIn, switchLanguage, table, withDemoConsole } from '../helpers/browser.ts';
import { EmbeddedRecordStream } from '../../src/detection/stream/embedded.ts';
import { publishRecords, type StreamRecord } from '../../src/detection/stream/publish.ts';
import { sampleCall } from '../helpers/stream.ts';
import { paramsFingerprint } from '../../src/detection/params.ts';

const T0 = Date.parse('2026-11-02T08:00:00+08:00');
const HOUR = 3_600_000;

/** The i-th call: one every 30 s of stream time (a clock entry every 60 s). */
const call = (i: number): StreamRecord => sampleCall(i, T0);

async function noSideways(page: Page, width: number): Promise<void> {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width + 1, `the page scrolls sideways on a ${width} px screen (${scroll} px)`);
}

/** The status badges of a worker's row, by their codes. */
async function states(row: Locator): Promise<string[]> {
  const badges = row.getByTestId('stream-worker-status');
  const n = await badges.count();
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await badges.nth(i).getAttribute('data-status'))!);
  return out;
}

/** A summary fact's value (its text without the label). */
async function fact(page: Page, testId: string): Promise<string> {
  return (await page.getByTestId(testId).innerText()).replace(/\s+/g, ' ').trim();
}

test(
  'streaming detection page: the stream, stalled and missed workers, refresh, who may see it',
  { timeout: 900_000 },
  (t) =>
    withDemoConsole(t, async ({ open, platform, step }) => {
      const db = platform.services.db;
      const stream = new EmbeddedRecordStream(db);
      await publishRecords(
        stream,
        Array.from({ length: 40 }, (_, i) => call(i)),
      );
      // Keep the last 8 minutes of stream time only: the first entries are gone.
      const pruned = await stream.prune({ keepMs: 8 * 60_000 });
      assert.ok(pruned.deleted > 0, 'the oldest rows are pruned');
      const head = (await stream.head()).gseq;
      const fromGseq = (await stream.stored()).fromGseq!;
      assert.ok(fromGseq > 12 && fromGseq < head - 10, `kept from ${fromGseq} of ${head}`);

      await step('with no checkpoint yet the page says how to start a worker', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.analyst');
          await page.locator('nav').getByRole('link', { name: 'Detection', exact: true }).click();
          await page.waitForURL((u) => u.pathname === '/detection');
          await page.getByTestId('detection-stream-link').click();
          await page.waitForURL((u) => u.pathname === '/detection/stream');
          await page.getByRole('heading', { name: 'Streaming detection' }).waitFor();
          const empty = page.getByTestId('stream-no-workers');
          await empty.getByText('No worker has checkpointed yet').waitFor();
          await empty.getByText('interdict detect worker --partitions 0-7', { exact: true }).waitFor();
          assert.equal(await table(page, 'Workers').count(), 0, 'no table without workers');
          assert.equal(await page.getByTestId('stream-healthy').count(), 0, 'nothing said healthy');
          // The summary: what the server says, in words.
          assert.match(await fact(page, 'stream-kind'), /Embedded \(database table\)/);
          assert.match(await fact(page, 'stream-head'), new RegExp(`gseq ${head}$`));
          assert.match(await fact(page, 'stream-input'), /Open: records keep coming No publish running$/);
          assert.equal(await page.getByTestId('stream-publisher-lapsed').count(), 0);
          // the last clock entry at record 38, 19 minutes after T0 (shown in the browser's zone)
          const lastTick = await page.evaluate(
            (at) =>
              new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(at)),
            T0 + 38 * 30_000,
          );
          assert.ok((await fact(page, 'stream-last-tick')).endsWith(lastTick), lastTick);
          const kept = await fact(page, 'stream-kept');
          assert.match(kept, new RegExp(`From gseq ${fromGseq}\\b`));
          const units = (await stream.stored()).units;
          assert.match(kept, new RegExp(`\\b${units} rows · [\\d.]+ MiB`));
          assert.match(await fact(page, 'stream-retention'), /7 days$/);
          await page.screenshot({ path: path.join(RESULTS, 'detection-stream-empty.png'), fullPage: true });

          // Three checkpoints, then the refresh button.
          await db
            .insertInto('detection_checkpoints')
            .values([
              {
                worker: 'p8:0-3',
                partitions: '0,1,2,3',
                cursor: head,
                gseq: head,
                ended: false,
                state: null,
                params: '0123456789ab',
              },
              {
                worker: 'p8:4-7',
                partitions: '4,5,6,7',
                cursor: head - 10,
                gseq: head - 10,
                ended: false,
                state: null,
                params: 'ba9876543210',
                saved_at: new Date(Date.now() - HOUR),
              },
              {
                worker: 'rebuild-2',
                partitions: '0,1,2,3,4,5,6,7',
                cursor: 10,
                gseq: 10,
                ended: false,
                state: null,
              },
            ])
            .execute();
          // A publish that stopped answering five minutes ago still holds the stream.
          await db
            .insertInto('detection_publishers')
            .values({
              stream: 'embedded',
              holder: 'detect publish on ops-host, process 4242',
              token: 'lapsed',
              acquired_at: new Date(Date.now() - 2 * HOUR),
              renewed_at: new Date(Date.now() - 5 * 60_000),
            })
            .execute();
          // Two parties send over HTTP: the bank's transfers wait for the operator, quiet for 3 minutes
          // and stuck (its `through` has not moved for 25); three of the bank's came too late.
          const bank = await demoOrgId(platform, '示范银行 Demo Bank');
          const mobile = await demoOrgId(platform, '示范移动 Demo Mobile');
          const tickAt = (await stream.head()).lastTickAt!;
          await db
            .insertInto('detection_feeds')
            .values([
              {
                organisation_id: mobile,
                kind: 'calls',
                name: 'main',
                through: tickAt + 60_000,
                heard_at: new Date(Date.now() - 3 * 60_000),
                moved_at: new Date(Date.now() - 25 * 60_000),
              },
              {
                organisation_id: bank,
                kind: 'transactions',
                name: 'main',
                through: tickAt + 600_000,
                late: 3,
              },
            ])
            .execute();
          await db
            .insertInto('detection_staged')
            .values(
              [1, 2].map((i) => ({
                organisation_id: bank,
                kind: 'transactions' as const,
                name: 'main',
                ts: tickAt + 120_000 * i,
                last_ts: tickAt + 120_000 * i,
                entries: '{}',
              })),
            )
            .execute();
          await page.getByRole('button', { name: 'Refresh now' }).click();
          await page
            .getByTestId('stream-feeds')
            .getByText('A feed quiet for 10 minutes no longer holds the others back.', { exact: false })
            .waitFor();
          const feeds = table(page, 'Feeds sending over HTTP');
          const feedRow = (name: string) => feeds.getByRole('row').filter({ hasText: name });
          await feedRow('Demo Bank').waitFor();
          assert.deepEqual(await feeds.getByTestId('stream-feed').allInnerTexts(), [
            '示范移动 Demo Mobile · calls/main',
            '示范银行 Demo Bank · transactions/main',
          ]);
          assert.equal(
            await feedRow('Demo Mobile').getByTestId('stream-feed-status').getAttribute('data-status'),
            'holding',
          );
          await feedRow('Demo Mobile').getByText('Holding the others back', { exact: true }).waitFor();
          assert.equal(
            await feedRow('Demo Mobile').getByTestId('stream-feed-stuck').innerText(),
            'Stuck: through last moved 25 min. ago',
          );
          assert.equal(await feedRow('Demo Bank').getByTestId('stream-feed-stuck').count(), 0);
          assert.equal(await feedRow('Demo Bank').getByTestId('stream-feed-staged').innerText(), '2');
          // An analyst watches; only the centre's administrators let the others go on without a feed.
          assert.equal(await feeds.getByRole('button', { name: 'Let the others go on' }).count(), 0);
          assert.match(
            await page.getByTestId('stream-watermark').innerText(),
            /^Watermark: every active feed has sent up to /,
          );
          await page
            .getByTestId('stream-feeds-late')
            .getByText('Records came too late: 示范银行 Demo Bank · transactions/main', { exact: true })
            .waitFor();
          const workers = table(page, 'Workers');
          const row = (name: string) => workers.getByRole('row').filter({ hasText: name });
          await row('p8:4-7').waitFor();
          assert.deepEqual(await workers.getByTestId('stream-worker').allInnerTexts(), [
            'p8:0-3',
            'p8:4-7',
            'rebuild-2',
          ]);
          assert.deepEqual(await states(row('p8:0-3')), ['current']);
          assert.deepEqual(await states(row('p8:4-7')), ['stalled']);
          assert.deepEqual(await states(row('rebuild-2')), ['missed']);
          await row('p8:4-7').getByText('Stalled', { exact: true }).waitFor();
          await row('rebuild-2').getByText('Missed entries', { exact: true }).waitFor();
          await row('p8:0-3').getByText('Current', { exact: true }).waitFor();
          assert.equal(await row('p8:4-7').getByTestId('stream-behind').innerText(), '10');
          assert.equal(await row('p8:0-3').getByTestId('stream-behind').innerText(), '0');
          assert.equal(await row('rebuild-2').getByTestId('stream-behind').innerText(), String(head - 10));
          // the last checkpoint as the other pages say it: "1 hr. ago"
          const anHourAgo = await page.evaluate(() =>
            new Intl.RelativeTimeFormat('en', { numeric: 'auto', style: 'short' }).format(-1, 'hour'),
          );
          await row('p8:4-7').getByText(anHourAgo, { exact: true }).waitFor();
          await row('p8:4-7').getByText('Replay', { exact: true }).waitFor();
          await row('p8:4-7').getByText('4-7', { exact: true }).waitFor();

          // An analyst watches; only the centre's administrators retire workers.
          assert.equal(await workers.getByRole('button', { name: 'Retire' }).count(), 0);
          // The two workers own the eight partitions once each: no hole, no overlap.
          assert.equal(await page.getByTestId('stream-uncovered').count(), 0);
          assert.equal(await page.getByTestId('stream-shared').count(), 0);

          // The alerts name the workers and say what to do.
          const stalled = page.getByTestId('stream-stalled');
          await stalled.getByText('Stalled: p8:4-7', { exact: true }).waitFor();
          await stalled.getByText('interdict detect worker --partitions 4-7', { exact: true }).waitFor();
          assert.ok(!(await stalled.innerText()).includes('p8:0-3'), 'the current worker is not named');
          const missed = page.getByTestId('stream-missed');
          await missed.getByText('Missed entries: rebuild-2', { exact: true }).waitFor();
          await missed.getByText('INTERDICT_RECORD_STREAM_KEEP_DAYS', { exact: false }).waitFor();
          assert.equal(await page.getByTestId('stream-no-workers').count(), 0);
          assert.equal(await page.getByTestId('stream-healthy').count(), 0);
          // Two workers checkpointed with different parameters (the third saved none): both named.
          const differ = page.getByTestId('stream-params-differ');
          await differ
            .getByText(
              'Workers run different detector parameters: p8:0-3 (0123456789ab), p8:4-7 (ba9876543210)',
              {
                exact: true,
              },
            )
            .waitFor();
          await differ.getByText('INTERDICT_DETECTOR_PARAMS', { exact: false }).waitFor();
          // Neither runs the platform's parameters (the defaults here): citizens see other limits.
          await page
            .getByTestId('stream-params-off-platform')
            .getByText(
              `Workers run other detector parameters than the platform (${paramsFingerprint()}): ` +
                'p8:0-3 (0123456789ab), p8:4-7 (ba9876543210)',
              { exact: true },
            )
            .waitFor();
          // The publish that stopped answering: named, with what to do.
          const lapsed = page.getByTestId('stream-publisher-lapsed');
          await lapsed
            .getByText('A publish stopped answering: detect publish on ops-host, process 4242', {
              exact: true,
            })
            .waitFor();
          await lapsed.getByText('takes the stream over', { exact: false }).waitFor();
          assert.match(
            await fact(page, 'stream-input'),
            /Publishing now: detect publish on ops-host, process 4242, since /,
          );
          await page.screenshot({ path: path.join(RESULTS, 'detection-stream.png'), fullPage: true });

          // New records: the page shows them on its own (every 15 s), the current worker falls behind.
          await publishRecords(
            stream,
            Array.from({ length: 5 }, (_, i) => call(40 + i)),
          );
          const newHead = (await stream.head()).gseq;
          assert.ok(newHead > head);
          await page
            .getByTestId('stream-head')
            .getByText(`gseq ${newHead}`, { exact: true })
            .waitFor({ timeout: 40_000 });
          assert.deepEqual(await states(row('p8:0-3')), ['catchingUp']);
          assert.equal(await row('p8:0-3').getByTestId('stream-behind').innerText(), String(newHead - head));
        } finally {
          await context.close();
        }
      });

      await step('on a phone the page fits the screen, in English and Chinese', async () => {
        const phone = { width: 375, height: 812 };
        const { context, page } = await open(phone);
        try {
          await signIn(page, 'centre.auditor');
          await page.goto('/detection/stream');
          await page.getByTestId('stream-stalled').waitFor();
          await table(page, 'Workers').getByRole('row').filter({ hasText: 'p8:4-7' }).waitFor();
          await noSideways(page, phone.width);
          await page.screenshot({ path: path.join(RESULTS, 'detection-stream-phone.png'), fullPage: true });
          await switchLanguage(page, '简体中文');
          await page.getByRole('heading', { name: '流式检测' }).waitFor();
          await page.getByTestId('stream-stalled').getByText('已停滞：p8:4-7').waitFor();
          await page.getByTestId('stream-missed').getByText('漏读记录：rebuild-2').waitFor();
          const workers = table(page, '工作进程');
          await workers.getByRole('row').filter({ hasText: 'p8:4-7' }).getByText('已停滞').waitFor();
          await page.getByTestId('stream-retention').getByText('7 天').waitFor();
          await noSideways(page, phone.width);
          await page.screenshot({
            path: path.join(RESULTS, 'detection-stream-phone-zh.png'),
            fullPage: true,
          });
        } finally {
          await context.close();
        }
      });

      await step("the centre's administrator reaches it by its address, without the queue", async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.admin');
          await page.goto('/detection/stream');
          await page.getByTestId('stream-stalled').getByText('Stalled: p8:4-7').waitFor();
          assert.equal(await page.getByRole('link', { name: /Back to the detection queue/ }).count(), 0);

          // The operator's feed holds the bank's back: the administrator lets the others go on.
          const feeds = table(page, 'Feeds sending over HTTP');
          const mobile = feeds.getByRole('row').filter({ hasText: 'Demo Mobile' });
          assert.equal(
            await feeds
              .getByRole('row')
              .filter({ hasText: 'Demo Bank' })
              .getByRole('button', { name: 'Let the others go on' })
              .count(),
            0,
            'only the feed that holds the others back',
          );
          await mobile.getByRole('button', { name: 'Let the others go on' }).click();
          const dialog = page.getByRole('dialog', {
            name: 'Let the others go on without 示范移动 Demo Mobile · calls/main',
          });
          await dialog.getByRole('button', { name: 'Release' }).click();
          await dialog.getByText('Give a reason.', { exact: true }).waitFor();
          await dialog.getByRole('textbox').fill('mediation clock stuck since 02:00, ticket 4471');
          await dialog.getByRole('button', { name: 'Release' }).click();
          await dialog.waitFor({ state: 'detached' });
          await mobile.getByText('Released until it catches up', { exact: true }).waitFor();
          assert.equal(
            await mobile.getByTestId('stream-feed-status').getAttribute('data-status'),
            'released',
          );
          // What the bank's feed had waiting went in (the rows held no record: dropped).
          assert.equal(
            await feeds
              .getByRole('row')
              .filter({ hasText: 'Demo Bank' })
              .getByTestId('stream-feed-staged')
              .innerText(),
            '0',
          );

          // The stalled worker is retired: its partitions are left without one, which the dialog
          // says before and the page after. The current worker cannot be retired.
          await db
            .updateTable('detection_checkpoints')
            .set({ saved_at: new Date() })
            .where('worker', '=', 'p8:0-3')
            .execute();
          await page.getByRole('button', { name: 'Refresh now' }).click();
          const workers = table(page, 'Workers');
          const row = (name: string) => workers.getByRole('row').filter({ hasText: name });
          await row('p8:4-7').getByRole('button', { name: 'Retire' }).waitFor();
          assert.equal(await row('p8:0-3').getByRole('button', { name: 'Retire' }).count(), 0);
          await row('p8:4-7').getByRole('button', { name: 'Retire' }).click();
          const retire = page.getByRole('dialog', { name: 'Retire worker p8:4-7' });
          await retire
            .getByTestId('stream-retire-leaves')
            .getByText('No other worker owns its partitions 4-7', { exact: false })
            .waitFor();
          await retire.getByRole('textbox').fill('host ops-7 decommissioned, change 812');
          await retire.getByRole('button', { name: 'Retire' }).click();
          await retire.waitFor({ state: 'detached' });
          await row('p8:4-7').waitFor({ state: 'detached' });
          const uncovered = page.getByTestId('stream-uncovered');
          await uncovered.getByText('No worker for partitions 4-7 of 8', { exact: true }).waitFor();
          await uncovered.getByText('interdict detect worker --partitions 4-7', { exact: true }).waitFor();
          const trail = await db
            .selectFrom('audit_log')
            .select(['actor_name', 'details'])
            .where('action', '=', 'detection_worker.retire')
            .where('target_id', '=', 'p8:4-7')
            .execute();
          assert.equal(trail.length, 1);
          assert.equal(trail[0]!.actor_name, 'centre.admin');
          assert.equal(trail[0]!.details.reason, 'host ops-7 decommissioned, change 812');

          // A new worker takes 3-7: the hole is gone, partition 3 has two workers.
          await db
            .insertInto('detection_checkpoints')
            .values({
              worker: 'p8:3-7',
              partitions: '3,4,5,6,7',
              cursor: 1,
              gseq: 1,
              ended: false,
              state: null,
            })
            .execute();
          await page.getByRole('button', { name: 'Refresh now' }).click();
          await page
            .getByTestId('stream-shared')
            .getByText('Partitions with several workers: 3 (p8:0-3, p8:3-7)', { exact: true })
            .waitFor();
          assert.equal(await page.getByTestId('stream-uncovered').count(), 0);
          // A worker of an earlier 16-way split, ended a day ago: named apart, with both counts.
          await db
            .insertInto('detection_checkpoints')
            .values({
              worker: 'p16:0-15',
              partitions: Array.from({ length: 16 }, (_, i) => i).join(','),
              cursor: 1,
              gseq: 1,
              ended: true,
              state: null,
              saved_at: new Date(Date.now() - 24 * HOUR),
            })
            .execute();
          await page.getByRole('button', { name: 'Refresh now' }).click();
          const other = page.getByTestId('stream-other-split');
          await other.getByText('Workers of another split: p16:0-15', { exact: true }).waitFor();
          await other
            .getByText('They split the stream into 16 partitions, the last worker to checkpoint into 8.', {
              exact: false,
            })
            .waitFor();
          await row('p16:0-15').getByRole('button', { name: 'Retire' }).waitFor();
        } finally {
          await context.close();
        }
      });

      await step("a bank's operator has neither the link nor the page", async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'bank.operator');
          await page.goto('/detection');
          await page.getByRole('heading', { name: 'Detection', exact: true }).waitFor();
          await page.getByRole('table', { name: 'Detection queue' }).waitFor();
          assert.equal(await page.getByTestId('detection-stream-link').count(), 0);
          await page.goto('/detection/stream');
          await page.getByText('This page is not available to your role or organisation.').waitFor();
          assert.equal(await page.getByTestId('stream-summary').count(), 0);
          assert.equal((await page.request.get('/v1/detection-stream')).status(), 403);
        } finally {
          await context.close();
        }
      });
    }),
);
