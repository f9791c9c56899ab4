import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp } from '../helpers/app.ts';
import type { Services } from '../../src/api/types.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { intakeTrigger, listWarnings } from '../../src/warnings/service.ts';

/**
 * The operators' queue in pages: every open warning once, in queue order, also when new warnings
 * open above the page being read (an operator paging down while a mass caller is flagged).
 */

let services: Services;
let close: () => Promise<void>;
const source = { source: 'test', organisationId: null };
const phone = (i: number) => `+86139${String(20_000_000 + i).slice(-8)}`;

async function open(i: number, amount: number): Promise<void> {
  await intakeTrigger(
    services,
    SYSTEM,
    { kind: 'fraud_call', person: { msisdn: phone(i) }, amountAtRisk: amount, summary: 'a long call' },
    source,
  );
}

async function pages(limit: number, between?: (page: number) => Promise<void>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    const r = await listWarnings(services, { limit, cursor });
    ids.push(...r.items.map((w) => w.id));
    if (!r.nextCursor) return ids;
    cursor = r.nextCursor;
    await between?.(page);
  }
}

before(async () => {
  ({ services, close } = await testApp());
  // Five priority levels, several warnings on each: the ties are ordered by deadline, then opening.
  for (let i = 0; i < 23; i++) await open(i, 100_000 + (i % 5) * 2_000_000);
});

after(async () => {
  await close?.();
});

test('pages of the queue give every open warning once, in the order of one long page', async () => {
  const all = (await listWarnings(services, { limit: 200 })).items.map((w) => w.id);
  assert.equal(all.length, 23);
  assert.deepEqual(await pages(5), all);
  assert.deepEqual(await pages(1), all);
});

test('warnings opening above the page being read shift nothing: no row twice, none missed', async () => {
  const before = (await listWarnings(services, { limit: 200 })).items.map((w) => w.id);
  let n = 100;
  const seen = await pages(4, async (page) => {
    // Urgent ones (the most money at risk) open at the top while the operator reads on.
    if (page < 2) for (let k = 0; k < 3; k++) await open(n++, 50_000_000);
  });
  assert.equal(new Set(seen).size, seen.length, 'no warning twice');
  for (const id of before) assert.ok(seen.includes(id), `${id} was on a page`);
});

test('a cursor that is not one the queue gave is refused', async () => {
  await assert.rejects(listWarnings(services, { cursor: '40' }), (err: { code?: string }) => {
    assert.equal(err.code, 'invalid_cursor');
    return true;
  });
});
