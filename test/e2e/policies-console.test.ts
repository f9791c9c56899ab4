/**
 * The decision policies in a real browser (Debian chromium via playwright-core) against the whole
 * platform in-process, on the seeded demo: a supervisor, on a phone, saves a new version of the
 * national call policy that only warns, replays it on the traffic the analyst made, runs it in
 * shadow and switches it on; decisions then follow it. An analyst reads the page without the
 * buttons that change it. Skips when chromium or the built console is missing. Leaves
 * test-results/policies-phone.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { APIRequestContext } from 'playwright-core';
import { RESULTS, signIn, table, withDemoConsole } from '../helpers/browser.ts';

/** Listed by the demo (an analyst's listing, confidence 0.95): version 1 blocks it. */
const LISTED = '+86 170 1234 5678';
const UNLISTED = '+86 139 1234 5678';

interface DecisionOut {
  action: string;
  policy: { id: string; version: number };
  shadow?: { action: string; policy: { id: string; version: number } };
}

async function decide(request: APIRequestContext, value: string): Promise<DecisionOut> {
  const res = await request.post('/v1/decisions', {
    data: { kind: 'call', parties: [{ role: 'caller', kind: 'phone', value }] },
  });
  assert.equal(res.status(), 200, await res.text());
  return (await res.json()) as DecisionOut;
}

test(
  'policies console: a new version is replayed, shadowed and activated',
  { timeout: 240_000 },
  async (t) => {
    await withDemoConsole(t, async ({ open }) => {
      const analyst = await open();
      try {
        await signIn(analyst.page, 'centre.analyst');
        const request = analyst.page.request;

        await t.test('recent traffic: the analyst asks for decisions on calls', async () => {
          for (let i = 0; i < 3; i++) {
            const d = await decide(request, LISTED);
            assert.equal(d.action, 'block');
            assert.deepEqual(d.policy, { id: 'national:call', version: 1 });
          }
          for (let i = 0; i < 2; i++) assert.equal((await decide(request, UNLISTED)).action, 'allow');
        });

        await t.test(
          'a supervisor on a phone creates, replays, shadows and activates version 2',
          async () => {
            const { context, page } = await open({ width: 390, height: 844 });
            try {
              await signIn(page, 'centre.supervisor');
              await page.goto('/registry');
              await page.getByRole('link', { name: 'Decision policies', exact: true }).click();
              await page.waitForURL((u) => u.pathname === '/registry/policies');
              const row = table(page, 'Decision policies')
                .getByRole('row')
                .filter({ hasText: 'national:call' });
              await row.getByText('Version 1 · Active').waitFor();
              await row.getByRole('link', { name: 'national:call' }).click();
              await page.waitForURL(
                (u) => decodeURIComponent(u.pathname) === '/registry/policies/national:call',
              );
              await page.getByRole('heading', { name: 'national:call' }).waitFor();

              const v1 = page.getByRole('region', { name: 'Version 1', exact: true });
              const rules1 = table(page, 'Rules of version 1');
              await rules1.getByRole('row').filter({ hasText: '≥ 90%' }).getByText('Block').waitFor();
              await rules1.getByRole('row').filter({ hasText: 'caller' }).getByText('sim_box').waitFor();
              assert.equal(await rules1.getByRole('row').count(), 4, 'a header and three rules');
              await v1.getByTestId('policy-state').getByText('Active').waitFor();

              // A new version from version 1's rules: keep only the third one (≥ 60% → warn).
              await page.getByRole('button', { name: 'New version' }).click();
              const form = page.getByRole('form', { name: 'New version of national:call' });
              await form.getByRole('group', { name: 'Rule 3' }).waitFor();
              await form.getByRole('button', { name: 'Remove rule 1' }).click();
              await form.getByRole('button', { name: 'Remove rule 1' }).click();
              assert.equal(await form.getByRole('group', { name: /^Rule \d$/ }).count(), 1);
              const rule = form.getByRole('group', { name: 'Rule 1' });
              assert.equal(await rule.getByLabel('Action').inputValue(), 'warn');
              await rule.getByLabel('Lowest confidence (%)').fill('50');
              await form.getByLabel('Description').fill('E2E pilot: warn only, never block calls');

              // The server's validation error is shown as it says it.
              await rule.getByLabel('Reason code').fill('Warn Only');
              await form.getByRole('button', { name: 'Save as draft' }).click();
              const error = form.getByTestId('error');
              await error.getByText('Some input is not valid.').waitFor();
              await error.getByText('reason', { exact: false }).first().waitFor();

              await rule.getByLabel('Reason code').fill('pilot_warn');
              await form.getByRole('button', { name: 'Save as draft' }).click();
              await form.waitFor({ state: 'detached' });
              await page.getByTestId('policy-saved').getByText('Version 2 is saved as a draft.').waitFor();

              const v2 = page.getByRole('region', { name: 'Version 2', exact: true });
              await v2.getByTestId('policy-state').getByText('Draft').waitFor();
              const rules2 = table(page, 'Rules of version 2');
              await rules2.getByRole('row').filter({ hasText: '≥ 50%' }).getByText('pilot_warn').waitFor();
              assert.equal(await rules2.getByRole('row').count(), 2);

              // Replayed on the analyst's calls: the three blocks would have been warnings.
              await v2.getByRole('button', { name: 'Replay on recent traffic' }).click();
              const replay = v2.getByTestId('replay-report');
              await replay.waitFor();
              const total = Number(await replay.getByTestId('report-total').innerText());
              const changed = Number(await replay.getByTestId('report-changed').innerText());
              assert.ok(total >= 5, `replayed ${total}`);
              assert.equal(changed, 3);
              await replay
                .getByTestId('report-share')
                .getByText(`${Math.round((changed / total) * 100)}%`)
                .waitFor();
              const transitions = table(page, 'Changes: Replay of version 2 on recent traffic');
              const blockToWarn = transitions.getByRole('row').filter({ hasText: 'Block' });
              await blockToWarn.getByText('Warn', { exact: true }).waitFor();
              await blockToWarn.getByText('3', { exact: true }).waitFor();

              // In shadow: version 1 still decides; decisions say what version 2 would have done.
              await v2.getByRole('button', { name: 'Put in shadow' }).click();
              await v2.getByTestId('policy-state').getByText('In shadow').waitFor();
              const shadowed = await decide(request, LISTED);
              assert.equal(shadowed.action, 'block');
              assert.deepEqual(shadowed.shadow, {
                action: 'warn',
                policy: { id: 'national:call', version: 2 },
              });
              await v2.getByRole('button', { name: 'Live shadow report' }).click();
              const live = v2.getByTestId('shadow-report');
              await live.waitFor();
              assert.ok(Number(await live.getByTestId('report-total').innerText()) >= 1);
              assert.ok(Number(await live.getByTestId('report-changed').innerText()) >= 1);

              // Activation says what the replay found and asks for a reason.
              await v2.getByRole('button', { name: 'Activate' }).click();
              const dialog = page.getByRole('dialog');
              await dialog
                .getByTestId('activate-impact')
                .getByText(`would change ${changed} of ${total} decisions`, { exact: false })
                .waitFor();
              await dialog.getByRole('button', { name: 'Activate' }).click();
              await dialog.getByText('Give a reason.').waitFor();
              await dialog.getByLabel('Reason').fill('E2E: warn instead of block during the pilot');
              await dialog.getByRole('button', { name: 'Activate' }).click();
              await dialog.waitFor({ state: 'detached' });
              await v2.getByTestId('policy-state').getByText('Active').waitFor();
              await v1.getByTestId('policy-state').getByText('Retired').waitFor();
              assert.equal(await v1.getByRole('button', { name: 'Activate' }).count(), 0);
              await page.screenshot({ path: path.join(RESULTS, 'policies-phone.png'), fullPage: true });

              await page.getByRole('link', { name: 'Back to the decision policies' }).click();
              await page.waitForURL((u) => u.pathname === '/registry/policies');
              const listed = table(page, 'Decision policies')
                .getByRole('row')
                .filter({ hasText: 'national:call' });
              await listed.getByText('Version 2 · Active').waitFor();
              await listed.getByText('Version 1 · Retired').waitFor();
            } finally {
              await context.close();
            }
          },
        );

        await t.test('decisions now follow version 2: a listed caller is only warned about', async () => {
          const d = await decide(request, LISTED);
          assert.equal(d.action, 'warn');
          assert.deepEqual(d.policy, { id: 'national:call', version: 2 });
          assert.equal(d.shadow, undefined);
        });

        await t.test('an analyst reads the policy without the buttons that change it', async () => {
          const page = analyst.page;
          await page.goto('/registry/policies');
          await page
            .getByText(
              'You can view the decision policies; the centre’s supervisors and administrators change them',
              {
                exact: false,
              },
            )
            .waitFor();
          await table(page, 'Decision policies').getByRole('link', { name: 'national:call' }).click();
          await page.getByRole('heading', { name: 'national:call' }).waitFor();
          await table(page, 'Rules of version 2').getByText('pilot_warn').waitFor();
          await page.getByText('E2E pilot: warn only, never block calls').waitFor();
          for (const name of ['New version', 'Put in shadow', 'Activate', 'Retire', 'Back to draft'])
            assert.equal(await page.getByRole('button', { name }).count(), 0, name);
          // Replaying only reads: analysts may.
          const v2 = page.getByRole('region', { name: 'Version 2', exact: true });
          await v2.getByRole('button', { name: 'Replay on recent traffic' }).click();
          await v2.getByTestId('replay-report').waitFor();
          // The server agrees: an analyst may not save a version.
          const res = await page.request.post('/v1/policies', {
            data: { id: 'national:call', channel: 'call', institutionId: null, rules: [], default: 'allow' },
          });
          assert.equal(res.status(), 403);
        });
      } finally {
        await analyst.context.close();
      }
    });
  },
);
