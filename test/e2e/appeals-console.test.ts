/**
 * Appeals in a real browser (Debian chromium via playwright-core) against the whole platform
 * in-process, on the seeded demo: a fraud-caller detection on 张伟's Demo Mobile card is confirmed,
 * the centre's analyst restricts the card and Demo Mobile's operator executes it (over the API);
 * the holder appeals on the public /appeal page with evidence and follows the receipt; the operator
 * records the re-verification; the analyst who issued the measure is refused the decision (403
 * shown), the supervisor upholds it; the operator's inbox then holds the restore instruction, and the
 * receipt says the measure is lifted. The public form is checked at phone width in both languages.
 * Skips when chromium or the built console is missing. Leaves /tmp/appeals-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Page } from 'playwright-core';
import { apiAs, demoOrgId, signIn, switchLanguage, table, withDemoConsole } from '../helpers/browser.ts';
import { decideDetection, recordDetections } from '../../src/detection/store.ts';
import type { Detection } from '../../src/detection/records.ts';
import type { Principal } from '../../src/identity/model.ts';
import { demoIdNumber } from '../../src/demo/seed.ts';

/** Demo person 0 (src/demo/seed.ts): 张伟, whose first card is with Demo Mobile. */
const HOLDER = { name: '张伟', idNumber: demoIdNumber('110101', '19850312', 0, 'm'), card: '+8613810000000' };
const SHOTS = '/tmp';
const desktop = { width: 1280, height: 860 };
const phone = { width: 390, height: 844 };

const T0 = Date.parse('2026-11-02T08:00:00+08:00');
const detection: Detection = {
  detector: 'fraud_caller',
  subjectKind: 'msisdn',
  subject: HOLDER.card,
  score: 0.88,
  window: { from: T0, to: T0 + 3_600_000 },
  evidence: { calls: 160, distinctCallees: 150, callBackShare: 0.03 },
};

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  let c = 0xffffffff;
  for (const b of body) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A valid 1×1 PNG: a photo of the card, as far as the server's content check goes. */
function tinyPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.from([0, 0, 128, 255]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function noSideways(page: Page, width: number): Promise<void> {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width + 1, `the page scrolls sideways on a ${width} px screen (${scroll} px)`);
}

test(
  'appeals console: a restricted holder appeals, the operator verifies, a supervisor upholds, the inbox gets the restore',
  { timeout: 900_000 },
  async (t) => {
    const evidenceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-e2e-appeals-'));
    const envBefore = process.env.INTERDICT_EVIDENCE_DIR;
    process.env.INTERDICT_EVIDENCE_DIR = evidenceDir;
    try {
      await withDemoConsole(t, async ({ platform, open: openAt, step }) => {
        const s = platform.services;
        const mobile = await demoOrgId(platform, '示范移动 Demo Mobile');
        const analystRow = await s.db
          .selectFrom('users')
          .select(['id', 'organisation_id'])
          .where('username', '=', 'centre.analyst')
          .executeTakeFirstOrThrow();
        const analyst: Principal = {
          kind: 'user',
          id: analystRow.id,
          name: 'centre.analyst',
          organisationId: analystRow.organisation_id,
          organisationKind: 'anti_fraud_centre',
          roles: ['analyst'],
          scopes: [],
        };
        const stored = await recordDetections(s, mobile, [detection]);
        const detectionId = stored.ids[0]!;
        await decideDetection(s, analyst, detectionId, {
          decision: 'confirm',
          reason: 'E2E: 150 strangers called in an hour',
        });

        // The measure, over the API: issued by the analyst, executed by Demo Mobile's operator.
        const asAnalyst = await apiAs(platform.url, 'centre.analyst');
        const asOperator = await apiAs(platform.url, 'telecom.operator');
        const restriction = await asAnalyst<{ id: string; status: string }>('POST', '/v1/instructions', {
          target: { kind: 'msisdn', value: HOLDER.card },
          measure: 'restrict_functions',
          functions: ['outgoing_calls', 'sms'],
          reason: 'E2E: mass calling of strangers from the card',
          legalBasis: 'atof_art11',
          receivingOrganisationId: mobile,
          detectionId,
        });
        assert.equal(restriction.status, 'issued');
        await asOperator('POST', `/v1/instructions/${restriction.id}/receipt`, {});
        await asOperator('POST', `/v1/instructions/${restriction.id}/execution`, { note: 'E2E: restricted' });

        const open = (viewport = desktop) => openAt(viewport);
        let code = '';
        let appealId = '';

        await step('the public form is usable at phone width, in Chinese and English', async () => {
          const { context, page } = await open(phone);
          try {
            await page.goto('/report');
            await page.getByRole('link', { name: 'Appeal a measure' }).first().click();
            await page.waitForURL((u) => u.pathname === '/appeal');
            await switchLanguage(page, '简体中文');
            await page.getByRole('heading', { name: '处置申诉' }).waitFor();
            await page.getByTestId('appeal-bring').getByText('本人有效身份证件', { exact: false }).waitFor();
            // What is missing is said next to the form, before anything goes to the server.
            await page.getByRole('button', { name: '提交申诉' }).click();
            await page.getByText('请选择被限制的对象。').waitFor();
            await page.getByRole('radio', { name: '电话号码' }).click();
            await page.getByRole('textbox', { name: '电话号码' }).waitFor();
            await noSideways(page, phone.width);
            await page.screenshot({ path: path.join(SHOTS, 'appeals-form-phone-zh.png'), fullPage: true });
            await switchLanguage(page, 'English');
            await page.getByRole('heading', { name: 'Appeal a measure' }).waitFor();
            await page.getByRole('textbox', { name: 'Phone number' }).waitFor();
            await noSideways(page, phone.width);
            await page.screenshot({ path: path.join(SHOTS, 'appeals-form-phone-en.png'), fullPage: true });
          } finally {
            await context.close();
          }
        });

        await step('the holder appeals on the public page with evidence and gets a receipt', async () => {
          const { context, page } = await open();
          try {
            await page.goto('/appeal');
            await page.getByRole('heading', { name: 'Appeal a measure' }).waitFor();
            await page.getByRole('radio', { name: 'Phone number' }).click();
            await page.getByRole('textbox', { name: 'Phone number' }).fill('138 1000 0000');
            await page.getByLabel('Your name').fill(HOLDER.name);
            // A wrong identity number is the server's problem, shown at its field.
            await page.getByRole('textbox', { name: 'Identity number' }).fill('110101198503120000');
            await page
              .getByLabel('Why is the measure wrong?')
              .fill('This is my own card; I call my family with it.');
            await page.getByRole('button', { name: 'Send the appeal' }).click();
            await page.getByTestId('error').getByText('The identity number is not valid.').waitFor();
            await page.getByRole('textbox', { name: 'Identity number' }).fill(HOLDER.idNumber);
            await page.getByLabel('Phone to reach you (optional)').fill('139 1234 5678');
            await page
              .locator('input[type="file"]')
              .setInputFiles([{ name: 'card.png', mimeType: 'image/png', buffer: tinyPng() }]);
            await page.screenshot({ path: path.join(SHOTS, 'appeals-form-desktop-en.png'), fullPage: true });
            await page.getByRole('button', { name: 'Send the appeal' }).click();

            const done = page.getByTestId('appeal-done');
            await done.getByText('Thank you: your appeal is filed').waitFor();
            code = (await page.getByTestId('receipt-code').innerText()).trim();
            assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
            await done
              .getByTestId('appeal-respond-by')
              .getByText('Decision due by', { exact: false })
              .waitFor();
            await page
              .getByTestId('evidence-result')
              .filter({ hasText: 'card.png' })
              .and(page.locator('[data-state="sent"]'))
              .waitFor();
            // Nothing about the measure found, nor the holder's data, comes back.
            const body = await page.locator('main').innerText();
            for (const secret of ['Restrict', HOLDER.idNumber, 'Demo Mobile'])
              assert.ok(!body.includes(secret));
            await page.screenshot({ path: path.join(SHOTS, 'appeals-receipt-code.png'), fullPage: true });

            await done.getByRole('link', { name: 'Follow your appeal' }).click();
            await page.waitForURL((u) => u.pathname === `/appeal/receipt/${code}`);
            const receipt = page.getByTestId('appeal-receipt');
            await receipt
              .getByTestId('appeal-status')
              .and(page.locator('[data-status="received"]'))
              .waitFor();
            await receipt.getByText('1 file(s)').waitFor();
            await receipt.getByRole('button', { name: 'Withdraw the appeal' }).waitFor();
          } finally {
            await context.close();
          }
        });

        await step('the operator finds the appeal in the queue and records the verification', async () => {
          const { context, page } = await open();
          try {
            await signIn(page, 'telecom.operator');
            await page.goto('/governance/appeals');
            const row = table(page, 'Appeals').getByRole('row').filter({ hasText: code });
            await row.getByTestId('appeal-holder').and(page.locator('[data-holder="appellant"]')).waitFor();
            await row.getByText('Identity on record').waitFor();
            // the restriction, and the listing the confirmed detection put the card on
            assert.equal((await row.getByTestId('appeal-measure-count').innerText()).trim(), '2');
            // masked: the name and id number never show in clear
            const rowText = await row.innerText();
            assert.ok(!rowText.includes(HOLDER.idNumber) && !rowText.includes('13810000000'));
            await page.screenshot({ path: path.join(SHOTS, 'appeals-queue-operator.png'), fullPage: true });
            await row.getByRole('link', { name: code }).click();
            await page.waitForURL((u) => u.pathname.startsWith('/governance/appeals/'));
            appealId = new URL(page.url()).pathname.split('/').pop()!;

            const measures = page.getByTestId('appeal-measures');
            await measures.getByRole('link', { name: 'Restrict card functions' }).waitFor();
            await page.getByTestId('appeal-explanation').getByText('my own card', { exact: false }).waitFor();
            // The operator does not decide.
            await page
              .getByText('The centre’s analysts and supervisors decide appeals', { exact: false })
              .waitFor();
            const form = page.getByRole('form', { name: 'Record verification' });
            await form.getByLabel('Method').selectOption('counter');
            await form
              .getByLabel('Note')
              .fill('E2E: identity card seen at the counter; ordinary calls to family');
            await form.getByRole('button', { name: 'Record verification' }).click();
            await page
              .getByTestId('appeal-status')
              .first()
              .and(page.locator('[data-status="under_review"]'))
              .waitFor();
            await page
              .getByTestId('appeal-verification-method')
              .getByText('In person at a counter')
              .waitFor();
            await page.getByRole('button', { name: 'Record the verification again' }).waitFor();
          } finally {
            await context.close();
          }
        });

        await step('the analyst who issued the measure is refused; the supervisor upholds', async () => {
          const issuer = await open();
          try {
            await signIn(issuer.page, 'centre.analyst');
            await issuer.page.goto(`/governance/appeals/${appealId}`);
            const form = issuer.page.getByRole('form', { name: 'Decision' });
            await form.getByLabel('Written reasons').fill('E2E: mine to decide?');
            await form.getByRole('button', { name: 'Record the decision' }).click();
            await form
              .getByTestId('error')
              .getByText('You issued or approved one of its measures', { exact: false })
              .waitFor();
            await issuer.page
              .getByTestId('appeal-status')
              .first()
              .and(issuer.page.locator('[data-status="under_review"]'))
              .waitFor();
          } finally {
            await issuer.context.close();
          }

          const { context, page } = await open();
          try {
            await signIn(page, 'centre.supervisor');
            await page.goto('/governance/appeals');
            await table(page, 'Appeals').getByRole('link', { name: code }).click();
            await page.waitForURL((u) => u.pathname === `/governance/appeals/${appealId}`);
            const form = page.getByRole('form', { name: 'Decision' });
            await form
              .getByLabel('Written reasons')
              .fill('E2E: the holder uses the card for ordinary calls to family; the detection was wrong.');
            await form.getByRole('button', { name: 'Record the decision' }).click();
            await page
              .getByTestId('appeal-decided')
              .getByText('Upheld by centre.supervisor', { exact: false })
              .waitFor();
            const measures = page.getByTestId('appeal-measures');
            await measures
              .getByTestId('instruction-status')
              .and(page.locator('[data-status="lifted"]'))
              .waitFor();
            await measures.getByTestId('appeal-restore-link').waitFor();
            await measures.getByTestId('listing-status').getByText('Delisted').waitFor();
            await page
              .getByTestId('appeal-restoration')
              .and(page.locator('[data-restored="false"]'))
              .waitFor();
            await page.screenshot({ path: path.join(SHOTS, 'appeals-detail-upheld-en.png'), fullPage: true });
            await measures.screenshot({ path: path.join(SHOTS, 'appeals-measures-en.png') });
            await switchLanguage(page, '简体中文');
            await page.getByRole('heading', { name: `申诉 ${code}` }).waitFor();
            await page.screenshot({ path: path.join(SHOTS, 'appeals-detail-upheld-zh.png'), fullPage: true });
          } finally {
            await context.close();
          }
        });

        await step('the operator’s inbox receives the restore instruction', async () => {
          const { context, page } = await open();
          try {
            await signIn(page, 'telecom.operator');
            // The navigation's governance group holds the inbox and the appeals.
            const nav = page.locator('nav');
            await nav.getByRole('button', { name: 'Instructions & appeals' }).click();
            await nav.getByRole('link', { name: 'Appeals', exact: true }).waitFor();
            await nav.getByRole('link', { name: 'Instructions', exact: true }).click();
            await page.waitForURL((u) => u.pathname === '/governance');
            const inbox = table(page, 'Instructions');
            const restore = inbox.getByRole('row').filter({ hasText: 'Restore the service' });
            await restore.getByText('+8613810000000').waitFor();
            await restore
              .getByTestId('instruction-status')
              .and(page.locator('[data-status="issued"]'))
              .waitFor();
            await page.screenshot({ path: path.join(SHOTS, 'appeals-inbox-restore.png'), fullPage: true });
            await restore.getByRole('link', { name: 'Restore the service' }).click();
            await page.waitForURL((u) => /^\/governance\/[0-9a-f-]{36}$/.test(u.pathname));
            await page.getByTestId('instruction-restores-link').click();
            await page.waitForURL((u) => u.pathname === `/governance/${restriction.id}`);
            await page
              .getByTestId('instruction-lifted')
              .getByText('Lifted because an appeal', { exact: false })
              .waitFor();
            await page.getByTestId('instruction-restored-by').waitFor();
            const notice = page.getByTestId('instruction-notice');
            await notice.getByText('To appeal, use the online appeal page', { exact: false }).waitFor();
            await notice.getByText('如有异议', { exact: false }).waitFor();
            await page.screenshot({
              path: path.join(SHOTS, 'appeals-instruction-lifted.png'),
              fullPage: true,
            });
          } finally {
            await context.close();
          }
        });

        await step('the receipt says the appeal is upheld and offers a compensation claim', async () => {
          const { context, page } = await open(phone);
          try {
            await page.goto(`/appeal/receipt/${code}`);
            const decision = page.getByTestId('appeal-decision');
            await decision.and(page.locator('[data-outcome="upheld"]')).waitFor();
            await decision.getByText('the detection was wrong', { exact: false }).waitFor();
            await page.getByTestId('appeal-restored').and(page.locator('[data-restored="false"]')).waitFor();
            assert.equal(await page.getByRole('button', { name: 'Withdraw the appeal' }).count(), 0);
            await page.getByLabel('Amount claimed (CNY)').fill('120');
            await page.getByLabel('What did the measure cost you?').fill('E2E: a day without calls');
            await page.getByRole('button', { name: 'Claim compensation' }).click();
            await page.getByTestId('appeal-claim').getByText('Waiting for a decision').waitFor();
            await noSideways(page, phone.width);
            await page.screenshot({ path: path.join(SHOTS, 'appeals-receipt-phone-en.png'), fullPage: true });
          } finally {
            await context.close();
          }
        });

        await step('a supervisor decides the compensation claim with reasons', async () => {
          const { context, page } = await open();
          try {
            await signIn(page, 'centre.supervisor');
            await page.goto(`/governance/appeals/${appealId}`);
            const claim = page.getByTestId('appeal-claim');
            await claim.getByText('E2E: a day without calls').waitFor();
            const form = claim.getByRole('form', { name: 'Decide the claim' });
            await form.getByLabel('Decision').selectOption('partly_granted');
            await form.getByLabel('Amount granted').fill('60.00');
            await form.getByLabel('Reasons').fill('E2E: half a working day documented');
            await form.getByRole('button', { name: 'Record' }).click();
            await claim
              .getByTestId('appeal-claim-status')
              .and(page.locator('[data-status="partly_granted"]'))
              .waitFor();
            await claim.getByText('half a working day documented', { exact: false }).waitFor();
            assert.equal(await claim.getByRole('form').count(), 0, 'a decided claim has no form');
          } finally {
            await context.close();
          }
        });
      });
    } finally {
      if (envBefore === undefined) delete process.env.INTERDICT_EVIDENCE_DIR;
      else process.env.INTERDICT_EVIDENCE_DIR = envBefore;
      fs.rmSync(evidenceDir, { recursive: true, force: true });
    }
  },
);
