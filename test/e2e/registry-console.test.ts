/**
 * The registry's editing pages in a real browser (Debian chromium via playwright-core) against the
 * whole platform in-process, on the seeded demo: changing a listing, the review queue and the
 * protected brands with their look-alike check. Skips when chromium or the built console is
 * missing. Leaves test-results/reviews-phone.png and brands.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { RESULTS, signIn, switchLanguage, table, withDemoConsole } from '../helpers/browser.ts';

test(
  'registry console: change a listing, decide a review, protect a brand',
  { timeout: 240_000 },
  async (t) => {
    await withDemoConsole(t, async ({ open }) => {
      await t.test(
        'an analyst changes a listing’s category with a reason; the history shows it',
        async () => {
          const { context, page } = await open();
          try {
            await signIn(page, 'centre.analyst');
            await page.goto('/registry');
            const listings = table(page, 'Listings');
            await listings.getByRole('row').filter({ hasText: '+8617012345678' }).click();
            await page.waitForURL((u) => u.pathname.startsWith('/registry/listings/'));
            await page.getByRole('heading', { name: '+8617012345678' }).waitFor();
            await page.getByText('Impersonating police or government').first().waitFor();

            await page.getByRole('button', { name: 'Change', exact: true }).click();
            const dialog = page.getByRole('dialog');
            // Nothing changed yet: said before any call.
            await dialog.getByRole('button', { name: 'Save the change' }).click();
            await dialog.getByText('Change at least one field.').waitFor();
            await dialog.getByLabel('Category').selectOption('investment_pension');
            await dialog.getByRole('button', { name: 'Save the change' }).click();
            await dialog.getByText('Give a reason.').waitFor();

            // The server's problem+json is shown: an expiry in the past is refused.
            await dialog.getByLabel('Expires', { exact: true }).selectOption('date');
            await dialog.getByLabel('Expires on').fill('2020-01-01T10:00');
            await dialog.getByLabel('Reason').fill('E2E: case 2026-0412 is a fake investment scheme');
            await dialog.getByRole('button', { name: 'Save the change' }).click();
            const error = dialog.getByTestId('error');
            await error.waitFor();
            await error.getByText('The expiry is not valid (it may be in the past).').waitFor();
            await error.getByText('expiresAt is in the past').waitFor();

            await dialog.getByLabel('Expires', { exact: true }).selectOption('keep');
            await dialog.getByRole('button', { name: 'Save the change' }).click();
            await dialog.waitFor({ state: 'detached' });

            const history = page.getByTestId('listing-history');
            await history.getByText('Changed', { exact: true }).waitFor();
            await history.getByText('E2E: case 2026-0412 is a fake investment scheme').waitFor();
            await history
              .getByTestId('history-change')
              .getByText('Category: Impersonating police or government → Fake investment or pension scheme')
              .waitFor();
            // The listing itself now has the new category (outside the history).
            const fields = page.locator('.mantine-Paper-root').first();
            await fields.getByText('Fake investment or pension scheme', { exact: true }).waitFor();
            assert.equal(await fields.getByText('Impersonating police or government').count(), 0);

            // The API agrees.
            const id = new URL(page.url()).pathname.split('/').pop()!;
            const res = await page.request.get(`/v1/listings/${id}`);
            const detail = (await res.json()) as {
              category: string;
              history: { action: string; reason: string | null }[];
            };
            assert.equal(detail.category, 'investment_pension');
            assert.ok(
              detail.history.some(
                (h) =>
                  h.action === 'changed' && h.reason === 'E2E: case 2026-0412 is a fake investment scheme',
              ),
            );
          } finally {
            await context.close();
          }
        },
      );

      let reviewId = '';
      await t.test('an analyst’s listing of a protected number goes to review', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.analyst');
          const res = await page.request.post('/v1/listings', {
            data: {
              kind: 'phone',
              value: '95588',
              category: 'customer_service_refund',
              evidence: ['E2E-report-7781'],
            },
          });
          assert.equal(res.status(), 202);
          const body = (await res.json()) as { outcome: string; reason: string; reviewId: string };
          assert.equal(body.outcome, 'review');
          assert.equal(body.reason, 'protected_indicator');
          reviewId = body.reviewId;
          assert.ok(reviewId);

          // Analysts do not see the queue: no tab, and the page is not theirs.
          await page.goto('/registry');
          await table(page, 'Listings').waitFor();
          await page.getByRole('link', { name: 'Protected brands' }).waitFor();
          assert.equal(await page.getByRole('link', { name: 'Reviews', exact: true }).count(), 0);
          await page.goto('/registry/reviews');
          await page.getByText('This page is not available to your role or organisation.').waitFor();
        } finally {
          await context.close();
        }
      });

      await t.test('an auditor reads the queue without the decision buttons', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.auditor');
          await page.goto('/registry/reviews');
          await page.getByText('You can view the review queue; supervisors decide.').waitFor();
          const row = table(page, 'Review queue').getByRole('row').filter({ hasText: 'short:CN:95588' });
          await row.click();
          await page.waitForURL((u) => u.pathname === `/registry/reviews/${reviewId}`);
          await page.getByTestId('review-evidence').getByText('E2E-report-7781').waitFor();
          assert.equal(await page.getByRole('button', { name: 'Reject' }).count(), 0);
          assert.equal(await page.getByRole('button', { name: 'Approve and list' }).count(), 0);
        } finally {
          await context.close();
        }
      });

      await t.test('a supervisor rejects the review on a phone; it leaves the pending list', async () => {
        const { context, page } = await open({ width: 390, height: 844 });
        try {
          await signIn(page, 'centre.supervisor');
          await page.goto('/registry');
          await page.getByRole('link', { name: 'Reviews', exact: true }).click();
          await page.waitForURL((u) => u.pathname === '/registry/reviews');
          const queue = table(page, 'Review queue');
          await page.getByLabel('Why in review').selectOption('protected_indicator');
          await page.getByRole('button', { name: 'Apply' }).click();
          const row = queue.getByRole('row').filter({ hasText: 'short:CN:95588' });
          await row.getByText('the value is on the allowlist').waitFor();
          await row.getByText('Allowlist entry: 95588', { exact: false }).waitFor();
          await page.screenshot({ path: path.join(RESULTS, 'reviews-phone.png'), fullPage: true });

          await row.getByRole('link', { name: 'short:CN:95588' }).click();
          await page.waitForURL((u) => u.pathname === `/registry/reviews/${reviewId}`);
          await page.getByRole('heading', { name: 'short:CN:95588' }).waitFor();
          await page.getByTestId('review-status').getByText('Waiting').waitFor();
          await page.getByTestId('review-evidence').getByText('E2E-report-7781').waitFor();
          await table(page, 'Sources').getByText('Analyst').waitFor();
          await page.getByText('The value is on the allowlist: it can only be listed after').waitFor();

          // Approving a value still on the allowlist: the server's 409 is shown in the dialog.
          await page.getByRole('button', { name: 'Approve and list' }).click();
          let dialog = page.getByRole('dialog');
          await dialog.getByLabel('Reason').fill('E2E: try to list it');
          await dialog.getByRole('button', { name: 'List', exact: true }).click();
          await dialog
            .getByTestId('error')
            .getByText('The value is still on the allowlist: remove it from the allowlist first.')
            .waitFor();
          await dialog.getByRole('button', { name: 'Cancel' }).click();
          await dialog.waitFor({ state: 'detached' });

          await page.getByRole('button', { name: 'Reject' }).click();
          dialog = page.getByRole('dialog');
          await dialog.getByRole('button', { name: 'Reject' }).click();
          await dialog.getByText('Give a reason.').waitFor();
          await dialog.getByLabel('Reason').fill('E2E: 95588 is the ICBC hotline');
          await dialog.getByRole('button', { name: 'Reject' }).click();
          await dialog.waitFor({ state: 'detached' });
          const decision = page.getByTestId('review-decision');
          await decision.getByText('Rejected by centre.supervisor on', { exact: false }).waitFor();
          await decision.getByText('E2E: 95588 is the ICBC hotline').waitFor();
          await page.getByTestId('review-status').getByText('Rejected').waitFor();
          assert.equal(await page.getByRole('button', { name: 'Reject' }).count(), 0);

          await page.getByRole('link', { name: 'Back to the review queue' }).click();
          await page.waitForURL((u) => u.pathname === '/registry/reviews');
          await queue.waitFor();
          await queue.getByRole('row').filter({ hasText: 'short:CN:95588' }).waitFor({ state: 'detached' });
          const res = await page.request.get('/v1/reviews');
          const open = (await res.json()) as { items: { id: string }[] };
          assert.ok(!open.items.some((r) => r.id === reviewId), 'no longer open');

          // Among the rejected ones.
          await page.getByLabel('Status').selectOption('rejected');
          await page.getByRole('button', { name: 'Apply' }).click();
          await queue.getByRole('row').filter({ hasText: 'short:CN:95588' }).waitFor();
        } finally {
          await context.close();
        }
      });

      await t.test('a supervisor approves a review under another category: the value is listed', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.supervisor');
          // A number protected, submitted (→ review), then unprotected: it may now be listed.
          const added = await page.request.post('/v1/allowlist', {
            data: { kind: 'phone', value: '+86 10 6666 0000', label: 'E2E clinic', reason: 'E2E' },
          });
          assert.equal(added.status(), 201);
          const entry = (await added.json()) as { id: string };
          const listed = await page.request.post('/v1/listings', {
            data: { kind: 'phone', value: '+86 10 6666 0000', category: 'loan', evidence: ['E2E-case-9'] },
          });
          assert.equal(listed.status(), 202);
          const { reviewId: id } = (await listed.json()) as { reviewId: string };
          const removed = await page.request.delete(`/v1/allowlist/${entry.id}?reason=E2E`);
          assert.equal(removed.status(), 204);

          await page.goto('/registry/reviews');
          await table(page, 'Review queue').getByRole('link', { name: '+861066660000' }).click();
          await page.waitForURL((u) => u.pathname === `/registry/reviews/${id}`);
          await page.getByRole('button', { name: 'Approve and list' }).click();
          const dialog = page.getByRole('dialog');
          await dialog.getByLabel('List under the category').selectOption('impersonate_police');
          await dialog.getByLabel('Reason').fill('E2E: the clinic moved; the number is now a scammer’s');
          await dialog.getByRole('button', { name: 'List', exact: true }).click();
          await dialog.waitFor({ state: 'detached' });
          await page
            .getByTestId('review-decision')
            .getByText('Listed by centre.supervisor on', { exact: false })
            .waitFor();
          await page.getByTestId('review-status').getByText('Listed').waitFor();

          await page.getByRole('link', { name: 'Open the listing' }).click();
          await page.waitForURL((u) => u.pathname.startsWith('/registry/listings/'));
          await page.getByRole('heading', { name: '+861066660000' }).waitFor();
          await page.getByTestId('listing-status').getByText('Active').waitFor();
          await page.getByText('Impersonating police or government').first().waitFor();
          const history = page.getByTestId('listing-history');
          await history.getByText('Review accepted', { exact: true }).waitFor();
          await history.getByText('E2E: the clinic moved; the number is now a scammer’s').waitFor();
        } finally {
          await context.close();
        }
      });

      await t.test('a supervisor protects a brand; the check flags a look-alike of it', async () => {
        const { context, page } = await open();
        try {
          await signIn(page, 'centre.supervisor');
          await page.goto('/registry/brands');
          const brands = table(page, 'Protected brands');
          await brands.getByRole('row').filter({ hasText: 'icbc.com.cn' }).waitFor();

          await page.getByRole('button', { name: 'Protect the brand' }).click();
          await page.getByText('Enter the brand.').waitFor();
          await page.getByLabel('Brand', { exact: true }).fill('Zephyr Bank');
          await page.getByLabel('Official domains').fill('zephyrbank.com');
          await page.getByRole('button', { name: 'Protect the brand' }).click();
          await page.getByText('Zephyr Bank is protected.').waitFor();
          const row = brands.getByRole('row').filter({ hasText: 'Zephyr Bank' });
          await row.getByText('zephyrbank.com').waitFor();

          const check = async (value: string) => {
            await page.getByLabel('Domain or link').fill(value);
            await page.getByRole('button', { name: 'Check', exact: true }).click();
            const result = page.getByTestId('lookalike-result');
            await result
              .getByText(value.replace(/^https?:\/\//, '').split('/')[0]!, { exact: false })
              .waitFor();
            return result;
          };
          let result = await check('https://zephyr-bank.com/login');
          assert.equal(await result.getAttribute('data-lookalike'), 'yes');
          await result.getByText('Imitates Zephyr Bank (zephyrbank.com)', { exact: false }).waitFor();
          await result.getByText('a misspelling of the name', { exact: false }).waitFor();

          result = await check('zephyrbank.net');
          assert.equal(await result.getAttribute('data-lookalike'), 'yes');
          await result.getByText('the same name under another suffix', { exact: false }).waitFor();

          // The brand's own domain is not a look-alike of it.
          result = await check('zephyrbank.com');
          await result.getByText('zephyrbank.com imitates no protected brand.').waitFor();
          assert.equal(await result.getAttribute('data-lookalike'), 'no');
          await page.screenshot({ path: path.join(RESULTS, 'brands.png'), fullPage: true });

          // Change its domains, then remove it.
          await row.getByRole('button', { name: 'Domains' }).click();
          const dialog = page.getByRole('dialog');
          await dialog.getByLabel('Official domains').fill('zephyrbank.com\nzephyr.cn');
          await dialog.getByRole('button', { name: 'Save' }).click();
          await dialog.waitFor({ state: 'detached' });
          await row.getByText('zephyrbank.com, zephyr.cn').waitFor();
          await row.getByRole('button', { name: 'Remove' }).click();
          await dialog.getByRole('button', { name: 'Remove' }).click();
          await dialog.waitFor({ state: 'detached' });
          await row.waitFor({ state: 'detached' });
        } finally {
          await context.close();
        }
      });

      await t.test(
        'analysts read the brands (in Chinese) and may try a domain, not change them',
        async () => {
          const { context, page } = await open({ width: 390, height: 844 });
          try {
            await signIn(page, 'centre.analyst');
            await page.goto('/registry/brands');
            await switchLanguage(page, '简体中文');
            await page.getByText('您可以查看受保护品牌；由主管和管理员修改。').waitFor();
            await table(page, '受保护品牌').getByText('icbc.com.cn').waitFor();
            assert.equal(await page.getByRole('button', { name: '添加品牌' }).count(), 0);
            await page.getByLabel('域名或链接').fill('icbc-refund.com');
            await page.getByRole('button', { name: '检查', exact: true }).click();
            const result = page.getByTestId('lookalike-result');
            await result.getByText('icbc-refund.com 仿冒受保护品牌').waitFor();
            await result.getByText('域名中包含品牌名称', { exact: false }).waitFor();
          } finally {
            await context.close();
          }
        },
      );
    });
  },
);
