/**
 * The reports capability's pages in a real browser (Debian chromium via playwright-core) against the
 * whole platform in-process, on the seeded demo: a citizen reports a scam SMS on a phone in Chinese
 * with evidence and follows the receipt; an analyst works the triage queue and confirms the report;
 * an auditor reads it without the decision buttons. Skips when chromium or the built console is
 * missing. Leaves test-results/report-phone.png, receipt-phone.png and report-detail.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Page } from 'playwright-core';
import { RESULTS, signIn, switchLanguage, table, withDemoConsole } from '../helpers/browser.ts';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid 2×2 red PNG, built here. */
function tinyPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0); // width
  ihdr.writeUInt32BE(2, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const row = Buffer.from([0, 255, 0, 0, 255, 0, 0]); // filter byte + two red pixels
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat([row, row]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const SMS =
  '【ETC】您的ETC认证已失效，将于今日停用，请立即登录 https://etc-renew-e2e.top/auth 重新认证，逾期扣费。';
const NOTE = 'E2E: 该链接已列入名单，请勿点击。';

async function noSideways(page: Page, width: number): Promise<void> {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width + 1, `the page scrolls sideways on a ${width} px screen (${scroll} px)`);
}

test(
  'reports console: a citizen reports, an analyst confirms, the receipt follows',
  { timeout: 300_000 },
  async (t) => {
    const evidenceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-e2e-evidence-'));
    const before = process.env.INTERDICT_EVIDENCE_DIR;
    process.env.INTERDICT_EVIDENCE_DIR = evidenceDir;
    try {
      await withDemoConsole(t, async ({ open }) => {
        const phone = { width: 375, height: 812 };
        let code = '';
        let reportId = '';

        await t.test('a citizen reports a scam SMS in Chinese on a phone, with evidence', async () => {
          const { context, page } = await open(phone);
          try {
            await page.goto('/check');
            await switchLanguage(page, '简体中文');
            await page.getByRole('link', { name: '遭遇诈骗？立即举报' }).click();
            await page.waitForURL((u) => u.pathname === '/report');
            await page.getByRole('heading', { name: '举报诈骗' }).waitFor();
            await page.getByRole('link', { name: '查询号码 / 链接 / 账户' }).waitFor();

            const submit = page.getByRole('button', { name: '提交举报' });
            await submit.click();
            await page.getByText('请选择发生了什么。').waitFor();
            await page.getByRole('radio', { name: '短信' }).click();
            // only what an SMS needs
            assert.equal(await page.getByLabel('链接', { exact: true }).count(), 0);
            await submit.click();
            await page.getByText('请粘贴短信内容。').waitFor();

            await page.getByLabel('短信内容').fill(SMS);
            await page.getByLabel('发送号码（选填）').fill('+86 170 1111 3333');
            await page.locator('label', { hasText: '有，或即将转账' }).click();
            await page.getByLabel('金额（元）').fill('5000');
            await page.getByLabel('支付方式（选填）').selectOption('bank_transfer');
            await page.getByLabel('正在发生：我仍在转账或正被要求转账').check();
            await page.getByTestId('ongoing-alert').getByText('96110').waitFor();
            await page.locator('label', { hasText: '亲属或他人' }).click();
            await page.getByLabel('受骗人年龄（选填）').selectOption('elderly');

            // The server's problem is shown next to the form: a contact number it cannot read.
            await page.getByLabel('您的联系电话（选填）').fill('call me maybe');
            await submit.click();
            const error = page.getByTestId('error');
            await error.getByText('无法识别您的联系电话。').waitFor();
            await error.getByText('contactPhone:', { exact: false }).waitFor();
            await page.getByLabel('您的联系电话（选填）').fill('139 1234 5678');

            await page.locator('input[type="file"]').setInputFiles([
              { name: 'screenshot.png', mimeType: 'image/png', buffer: tinyPng() },
              {
                name: 'not-an-image.png',
                mimeType: 'image/png',
                buffer: Buffer.from('just some text, not a picture'),
              },
            ]);
            await noSideways(page, phone.width);
            await page.screenshot({ path: path.join(RESULTS, 'report-phone.png'), fullPage: true });
            await submit.click();

            const done = page.getByTestId('report-done');
            await done.getByText('感谢您：举报已收到').waitFor();
            code = (await page.getByTestId('receipt-code').innerText()).trim();
            assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
            await done.getByRole('button', { name: '复制' }).waitFor();
            await page.getByRole('alert').filter({ hasText: '96110' }).first().waitFor();

            const results = page.getByTestId('evidence-result');
            await results
              .filter({ hasText: 'screenshot.png' })
              .and(page.locator('[data-state="sent"]'))
              .waitFor();
            const refused = results.filter({ hasText: 'not-an-image.png' });
            await refused.and(page.locator('[data-state="failed"]')).waitFor();
            await refused
              .getByTestId('evidence-error')
              .getByText('文件内容与其类型不符', { exact: false })
              .waitFor();
            await refused.getByText('image/png', { exact: false }).waitFor();
            await noSideways(page, phone.width);

            await page.getByRole('link', { name: '查询举报进度' }).first().click();
            await page.waitForURL((u) => u.pathname === `/receipt/${code}`);
            const status = page.getByTestId('report-status');
            await status.and(page.locator('[data-status="open"]')).waitFor();
            await status.getByText('核查中').waitFor();
            await page.getByTestId('receipt-message').getByText('96110', { exact: false }).waitFor();
            await page.getByTestId('receipt-evidence').getByText('已收到 1 个').waitFor();
            await noSideways(page, phone.width);
          } finally {
            await context.close();
          }
        });

        await t.test('an analyst finds it in the queue and confirms it with a public note', async () => {
          const { context, page } = await open();
          try {
            await signIn(page, 'centre.analyst');
            await page.locator('nav').getByRole('link', { name: 'Reports', exact: true }).click();
            await page.waitForURL((u) => u.pathname === '/reports');
            const row = table(page, 'Report queue').getByRole('row').filter({ hasText: code });
            // filed as happening now: the queue says so, not just the amount
            await row.getByText('Money being lost now').waitFor();
            await row.getByText('Elderly victim').waitFor();
            await row.getByText('Text message').waitFor();
            await row.getByText('etc-renew-e2e.top', { exact: false }).waitFor();
            await row.getByRole('link', { name: code }).click();
            await page.waitForURL((u) => u.pathname.startsWith('/reports/') && u.pathname !== '/reports');
            reportId = new URL(page.url()).pathname.split('/').pop()!;
            await page.getByTestId('report-code').getByText(code).waitFor();
            await page.getByTestId('report-content').getByText(SMS).waitFor();

            const indicators = table(page, 'Indicators');
            const link = indicators.getByRole('row').filter({ hasText: 'etc-renew-e2e.top' });
            await link.getByText('the text').waitFor();
            await link.getByTestId('candidate-status').waitFor();
            await page.getByTestId('classifier-label').waitFor();
            const chips = page.getByTestId('classifier-feature');
            await chips.first().waitFor();
            assert.ok((await chips.count()) > 0, 'the classifier’s n-grams are shown');
            const evidence = table(page, 'Evidence');
            const file = evidence.getByRole('link', { name: 'screenshot.png' });
            await file.waitFor();
            const download = await page.request.get((await file.getAttribute('href'))!);
            assert.equal(download.status(), 200);
            assert.equal(download.headers()['content-type'], 'image/png');
            assert.deepEqual(Buffer.from(await download.body()), tinyPng());

            await page.getByRole('button', { name: 'Confirm', exact: true }).click();
            const dialog = page.getByRole('dialog');
            await dialog.getByRole('button', { name: 'Confirm and list' }).click();
            await dialog.getByText('Give a reason.').waitFor();
            await dialog.getByLabel('Category').selectOption('customer_service_refund');
            await dialog.getByLabel('Note for the reporter (optional)').fill(NOTE);
            await dialog.getByLabel('Reason').fill('E2E: a fake ETC renewal site');
            await dialog.getByRole('button', { name: 'Confirm and list' }).click();
            await dialog.waitFor({ state: 'detached' });
            const decision = page.getByTestId('report-decision');
            await decision.getByText('Confirmed by centre.analyst on', { exact: false }).waitFor();
            await decision.getByText(NOTE, { exact: false }).waitFor();
            await page.getByTestId('report-status').first().getByText('Confirmed').waitFor();
            await link.getByTestId('candidate-status').getByText('Listed').waitFor();
            await link.getByRole('link', { name: 'Open the listing' }).waitFor();
            assert.equal(await page.getByRole('button', { name: 'Confirm', exact: true }).count(), 0);
            await page.screenshot({ path: path.join(RESULTS, 'report-detail.png'), fullPage: true });

            await link.getByRole('link', { name: 'Open the listing' }).click();
            await page.waitForURL((u) => u.pathname.startsWith('/registry/listings/'));
            await page.getByRole('heading', { name: 'etc-renew-e2e.top', exact: false }).first().waitFor();
          } finally {
            await context.close();
          }
        });

        await t.test('the receipt page shows the confirmation and the note', async () => {
          const { context, page } = await open(phone);
          try {
            await page.goto('/receipt');
            await switchLanguage(page, '简体中文');
            await page.getByLabel('回执码').fill(code.toLowerCase());
            await page.getByRole('button', { name: '查询状态' }).click();
            await page.waitForURL((u) => u.pathname.startsWith('/receipt/'));
            const status = page.getByTestId('report-status');
            await status.and(page.locator('[data-status="confirmed"]')).waitFor();
            await status.getByText('已核实').waitFor();
            await page.getByTestId('receipt-note').getByText(NOTE).waitFor();
            await page.getByTestId('receipt-evidence').getByText('已收到 1 个').waitFor();
            await noSideways(page, phone.width);
            await page.screenshot({ path: path.join(RESULTS, 'receipt-phone.png'), fullPage: true });
            await switchLanguage(page, 'English');
            await status.getByText('Confirmed').waitFor();
            await page.getByText('Note from the anti-fraud centre').waitFor();
          } finally {
            await context.close();
          }
        });

        await t.test('an auditor reads the report without the decision buttons', async () => {
          const { context, page } = await open();
          try {
            await signIn(page, 'centre.auditor');
            await page.goto('/reports');
            await page.getByText('You can read the reports; analysts and supervisors decide.').waitFor();
            await page.getByLabel('Status').selectOption('confirmed');
            await page.getByRole('button', { name: 'Apply' }).click();
            await table(page, 'Report queue').getByRole('row').filter({ hasText: code }).click();
            await page.waitForURL((u) => u.pathname === `/reports/${reportId}`);
            await page.getByTestId('report-decision').waitFor();
            await page.getByTestId('classifier-features').waitFor();
            for (const name of ['Confirm', 'Reject', 'Merge'])
              assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
          } finally {
            await context.close();
          }
        });
      });
    } finally {
      if (before === undefined) delete process.env.INTERDICT_EVIDENCE_DIR;
      else process.env.INTERDICT_EVIDENCE_DIR = before;
      fs.rmSync(evidenceDir, { recursive: true, force: true });
    }
  },
);
