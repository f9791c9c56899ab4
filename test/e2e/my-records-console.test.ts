/**
 * "Registered in my name" in a real browser on the seeded demo: 张伟 verifies with the code (the demo
 * shows it for want of an SMS gateway), sees his card, the number he gave back, two accounts and one
 * the bank closed, with the card limits, marks one account "not mine", and the bank's inbox holds the
 * re-verification. On a phone, in Chinese, nothing scrolls sideways. Leaves
 * test-results/my-records-phone.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { RESULTS, signIn, switchLanguage, withDemoConsole } from '../helpers/browser.ts';
import { demoIdNumber } from '../../src/demo/seed.ts';

const ZHANG = { name: '张伟', id: demoIdNumber('110101', '19850312', 0, 'm'), card: '+86 138 1000 0000' };

test('a citizen sees what is registered in their name and reports an account as not theirs', async (t) => {
  await withDemoConsole(t, async (c) => {
    const { context, page } = await c.open();
    await page.goto('/my');
    await switchLanguage(page, 'English');
    await page.getByTestId('my-id-number').fill(ZHANG.id);
    await page.getByTestId('my-name').fill(ZHANG.name);
    await page.getByTestId('my-phone').fill(ZHANG.card);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    const demo = await page.getByTestId('my-demo-code').textContent();
    const code = /\d{6}/.exec(demo ?? '')?.[0];
    assert.ok(code, `the demo shows the code: ${demo}`);
    await page.getByTestId('my-code').fill(code);
    await page.getByRole('button', { name: 'Show my records' }).click();
    const records = page.getByTestId('my-records');
    await records.waitFor();
    const text = (await records.textContent()) ?? '';
    assert.match(text, /\+86 138\*{4}0000/);
    // His card, and the number he held until 2019 (王芳's now), listed as given back and not held.
    assert.match(text, /Phone cards \(2\)/);
    assert.match(text, /cancelled \(given back 2019-02-01\)/);
    // Where his card was opened, as the operator's card file names it.
    assert.equal(await records.getByTestId('card-outlet').first().textContent(), ' at outlet 110101-001');
    // His two accounts, and the one the bank closed in 2021, listed as closed.
    assert.match(text, /Bank and payment accounts \(3\)/);
    assert.match(text, /closed \(closed on 2021-08-31\)/);
    assert.match(text, /You hold 1 consumer phone cards/);
    // Per operator, with that operator's limit (the demo runs card_limit's defaults).
    assert.match(text, /Demo Mobile: 1 of at most 5/);
    assert.ok(!text.includes(ZHANG.id), 'the id number is masked');

    // The first account (opened 2015-01) is at Demo Bank.
    await page.getByRole('button', { name: 'Not mine' }).nth(1).click();
    await page.getByRole('button', { name: 'Yes, not mine' }).click();
    await page.getByTestId('my-dispute-opened').waitFor();
    await page.getByText('Reported as not mine').first().waitFor();
    await context.close();

    // The bank that holds the account has a re-verification in its inbox.
    const bank = await c.open();
    await signIn(bank.page, 'bank.operator');
    const inbox = await bank.page.request.get('/v1/instructions?measure=re_verify');
    assert.equal(inbox.status(), 200);
    const items = ((await inbox.json()) as { items: { reason: string; status: string }[] }).items;
    assert.ok(
      items.some((i) => i.status === 'issued' && /not theirs/.test(i.reason)),
      'the re-verification is in the bank’s inbox',
    );
    await bank.context.close();

    const phone = await c.open({ width: 390, height: 844 });
    await phone.page.goto('/my');
    await switchLanguage(phone.page, '简体中文');
    await phone.page.getByText('身份证号码').first().waitFor();
    const scroll = await phone.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scroll <= 391, `the page scrolls sideways on a phone (${scroll} px)`);
    await phone.page.screenshot({ path: path.join(RESULTS, 'my-records-phone.png'), fullPage: true });
    await phone.context.close();
  });
});
