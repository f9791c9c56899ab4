import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, seedUser } from '../helpers/app.ts';
import { seedFunds } from '../../src/demo/funds.ts';
import { getFundCase } from '../../src/funds/cases.ts';
import { SYSTEM } from '../../src/core/audit.ts';

test('the demo fund case: two victims meeting in one mule, 3 hops, one stop executed, one pending, one freeze', async () => {
  const { services, close } = await testApp();
  try {
    const centre = await seedUser(services, {
      org: 'Demo centre',
      kind: 'anti_fraud_centre',
      username: 'centre.analyst',
      roles: ['analyst'],
    });
    const bank = await seedUser(services, {
      org: 'Demo bank',
      kind: 'bank',
      username: 'bank.operator',
      roles: ['institution_operator'],
    });
    const pay = await seedUser(services, {
      org: 'Demo pay',
      kind: 'bank',
      username: 'pay.admin',
      roles: ['administrator'],
    });
    const org = { centre: centre.organisationId, bank: bank.organisationId, pay: pay.organisationId };
    const { reference, bankAccounts } = await seedFunds(services, org);
    assert.equal(bankAccounts, 3);
    const c = await getFundCase({ db: services.db, bus: services.bus, pii: services.pii }, SYSTEM, reference);
    assert.equal(c.victims.length, 2);
    assert.equal(new Set(c.transfers.map((t) => t.payeeAccount)).size, 1, 'both paid the same mule');
    assert.equal(Math.max(...c.trace!.accounts.map((a) => a.depth)), 3);
    assert.ok(c.trace!.edges.some((e) => e.cashOut));
    assert.deepEqual(
      c.stopPayments.map((p) => p.status),
      ['executed', 'converted', 'sent'],
    );
    assert.equal(c.freezes.length, 1);
    assert.equal(c.freezes[0]!.status, 'executed');
    assert.deepEqual(c.trace!.proposals, [], 'every account still holding money is covered');
  } finally {
    await close();
  }
});
