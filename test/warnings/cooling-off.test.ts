import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import type { DecisionNode } from '../../src/registry/decisions.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { createApiKey } from '../../src/identity/service.ts';
import { listIndicator } from '../../src/registry/service.ts';
import { PiiCipher } from '../../src/privacy/crypto.ts';
import type { Decision, DecisionEvent } from '../../src/registry/engine/index.ts';
import {
  WarnedParties,
  accountKey,
  coolingOffHold,
  msisdnKey,
  warnedPayer,
  type WarnedParty,
} from '../../src/warnings/cooling-off.ts';

async function waitFor(cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cipher = new PiiCipher([{ id: 'k1', key: crypto.randomBytes(32) }], crypto.randomBytes(32));
const NOW = Date.parse('2026-11-30T10:00:00Z');
const W: WarnedParty = {
  warningId: 'w1',
  reference: 'WRN-2026-000001',
  riskLevel: 'high',
  scamType: 'impersonate_police',
};

const transfer = (payer: string, payee: string): DecisionEvent => ({
  kind: 'transfer',
  parties: [
    { role: 'payer', kind: 'bank_account', value: payer },
    { role: 'payee', kind: 'bank_account', value: payee },
  ],
});

const decision = (over: Partial<Decision> = {}): Decision => ({
  action: 'allow',
  score: 0,
  matches: [],
  reasons: [],
  warnings: [],
  policy: { id: 'default', version: 1 },
  ...over,
});

describe('cooling-off: who is warned', () => {
  test('a payer is found by the keyed hash of the canonical account, whatever its spelling', () => {
    const warned = new WarnedParties();
    warned.set(W, [accountKey(cipher, '6222020200112233445')], []);
    assert.equal(
      warnedPayer(transfer('6222 0202 0011 2233 445', '6217000000000000001'), warned, cipher)?.reference,
      W.reference,
    );
    assert.equal(
      warnedPayer(transfer('6217000000000000001', '6222020200112233445'), warned, cipher),
      null,
      'the payee is not the payer',
    );
  });

  test('a payer named by phone number is found by its E.164 key', () => {
    const warned = new WarnedParties();
    warned.set(W, [], [msisdnKey(cipher, '+8613912345678')]);
    const ev: DecisionEvent = {
      kind: 'transfer',
      parties: [
        { role: 'payer', kind: 'phone', value: '139 1234 5678', opts: { defaultRegion: 'CN' } },
        { role: 'payee', kind: 'bank_account', value: '6217000000000000001' },
      ],
    };
    assert.equal(warnedPayer(ev, warned, cipher)?.warningId, 'w1');
  });

  test('closing a warning forgets its keys, and a newer warning keeps a shared key', () => {
    const warned = new WarnedParties();
    const k = accountKey(cipher, '6222020200112233445');
    warned.set(W, [k], []);
    warned.set({ ...W, warningId: 'w2', reference: 'WRN-2026-000002' }, [k], []);
    warned.delete('w1');
    assert.equal(warned.byAccountKey(k)?.warningId, 'w2');
    warned.delete('w2');
    assert.equal(warned.byAccountKey(k), undefined);
    assert.equal(warned.size, 0);
  });
});

describe('cooling-off: the hold', () => {
  const payeeMatch = {
    listingId: 'l1',
    kind: 'bank_account' as const,
    value: '6217000000000000001',
    category: 'impersonate_police' as const,
    confidence: 0.6,
    role: 'payee',
    status: 'active' as const,
    action: 'warn' as const,
  };

  test('nothing to hold for an unwarned payer paying an unlisted payee', () => {
    assert.equal(coolingOffHold(decision(), null, NOW), null);
  });

  test('a payer under a high-risk warning waits 60 minutes, with the warning quoted', () => {
    const h = coolingOffHold(decision(), W, NOW)!;
    assert.equal(h.minutes, 60);
    assert.equal(h.until, new Date(NOW + 3_600_000).toISOString());
    assert.equal(h.warningReference, W.reference);
    assert.deepEqual(
      h.reasons.map((r) => r.code),
      ['payer_under_warning'],
    );
    assert.match(h.reasons[0]!.en, /60 minutes/);
    assert.match(h.reasons[0]!.zh, /96110/);
  });

  test('a flagged payee holds the transfer 30 minutes, naming the scam type', () => {
    const h = coolingOffHold(decision({ action: 'warn', matches: [payeeMatch] }), null, NOW)!;
    assert.equal(h.minutes, 30);
    assert.deepEqual(
      h.reasons.map((r) => r.code),
      ['payee_flagged'],
    );
    assert.match(h.reasons[0]!.en, /Impersonating police/);
  });

  test('both reasons are shown, the longer wait wins; a blocked transfer needs no hold', () => {
    const d = decision({ action: 'warn', matches: [payeeMatch] });
    const h = coolingOffHold(d, { ...W, riskLevel: 'medium' }, NOW)!;
    assert.equal(h.minutes, 30);
    assert.deepEqual(
      h.reasons.map((r) => r.code),
      ['payer_under_warning', 'payee_flagged'],
    );
    assert.equal(coolingOffHold({ ...d, action: 'block' }, W, NOW), null);
    assert.equal(
      coolingOffHold(decision({ matches: [{ ...payeeMatch, action: 'allow' }] }), null, NOW),
      null,
    );
  });
});

describe('cooling-off over HTTP', () => {
  let app: Api;
  let services: Services;
  let node: DecisionNode;
  let close: () => Promise<void>;
  let bankKey: string;
  let warningsKey: string;
  let analystCookie: string;

  before(async () => {
    ({ app, services, node, close } = await testApp());
    const { organisationId } = await seedUser(services, {
      org: 'Bank',
      kind: 'bank',
      username: 'bank.admin',
      roles: ['administrator'],
    });
    bankKey = (
      await createApiKey(services.db, services.bus, SYSTEM, {
        organisationId,
        name: 'core',
        scopes: ['decisions:write'],
      })
    ).key;
    warningsKey = (
      await createApiKey(services.db, services.bus, SYSTEM, {
        organisationId,
        name: 'warn',
        scopes: ['warnings:write'],
      })
    ).key;
    await seedUser(services, {
      org: 'Centre',
      kind: 'anti_fraud_centre',
      username: 'analyst',
      roles: ['analyst'],
    });
    analystCookie = await signInCookie(app, 'analyst');
    await listIndicator(services.db, services.bus, SYSTEM, {
      kind: 'bank_account',
      value: '6217000000000000001',
      category: 'customer_service_refund',
      // A detector's listing (0.7 × 0.7 ≈ 0.49): transfers to it are warned, not blocked.
      source: { kind: 'detector', reporterRef: 'mule_account', score: 0.7 },
    });
    await node.start();
    await services.bus.start();
  });
  after(() => close());

  const decide = (payload: unknown) =>
    app.inject({
      method: 'POST',
      url: '/v1/decisions',
      payload: payload as object,
      headers: { authorization: `Bearer ${bankKey}` },
    });

  test('a bank asking for cooling-off gets a hold on a transfer to a flagged payee; without asking, none', async () => {
    const ev = transfer('6222020200112233445', '6217000000000000001');
    const asked = await decide({ ...ev, coolingOff: true });
    assert.equal(asked.statusCode, 200, asked.body);
    const d = asked.json() as { action: string; hold?: { minutes: number; reasons: { code: string }[] } };
    assert.notEqual(d.action, 'block', 'the listing is weak enough to warn, not block');
    assert.equal(d.hold?.minutes, 30);
    assert.deepEqual(
      d.hold?.reasons.map((r) => r.code),
      ['payee_flagged'],
    );
    const plain = (await decide(ev)).json() as { hold?: unknown };
    assert.equal(plain.hold, undefined);
    assert.ok(node.drainTriggers().length >= 2, 'both attempts are kept for the warnings');
  });

  test('a warned payer paying an unlisted account is held; the batch route holds too', async () => {
    node.warned.set(W, [accountKey(services.pii, '6222020200112233445')], []);
    const ev = { ...transfer('6222020200112233445', '6217000000000000999'), coolingOff: true };
    const d = (await decide(ev)).json() as {
      action: string;
      hold?: { minutes: number; warningReference: string };
    };
    assert.equal(d.action, 'allow');
    assert.equal(d.hold?.minutes, 60);
    assert.equal(d.hold?.warningReference, W.reference);
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/decisions/batch',
      payload: {
        events: [ev, { ...transfer('6222020200199999999', '6217000000000000999'), coolingOff: true }],
      },
      headers: { authorization: `Bearer ${bankKey}` },
    });
    const ds = (batch.json() as { decisions: { hold?: unknown }[] }).decisions;
    assert.ok(ds[0]!.hold);
    assert.equal(ds[1]!.hold, undefined, 'another payer is not held');
    node.warned.delete(W.warningId);
  });

  test('a warning opened by a trigger reaches the node; closing it lifts the hold', async () => {
    const payer = '6222020200155556666';
    const trig = await app.inject({
      method: 'POST',
      url: '/v1/warnings/triggers',
      payload: {
        kind: 'relative_report',
        person: { account: payer },
        scamType: 'impersonate_police',
        amountAtRisk: 5_000_000,
      },
      headers: { authorization: `Bearer ${warningsKey}` },
    });
    assert.equal(trig.statusCode, 201, trig.body);
    const { warningId, reference } = trig.json() as { warningId: string; reference: string };
    const ev = { ...transfer(payer, '6217000000000000999'), coolingOff: true };
    await waitFor(async () => ((await decide(ev)).json() as { hold?: unknown }).hold !== undefined);
    const held = (await decide(ev)).json() as { hold: { warningReference: string } };
    assert.equal(held.hold.warningReference, reference);
    // Closed (the person was dissuaded): transfers flow again.
    const closed = await app.inject({
      method: 'POST',
      url: `/v1/warnings/${warningId}/outcome`,
      payload: { kind: 'dissuaded', note: 'called back, understood' },
      headers: { cookie: analystCookie },
    });
    assert.equal(closed.statusCode, 200, closed.body);
    await waitFor(async () => ((await decide(ev)).json() as { hold?: unknown }).hold === undefined);
  });

  test('an attempted transfer to a flagged payee opens one warning for the payer, however many attempts', async () => {
    const payer = '6222020200177778888';
    for (let i = 0; i < 3; i++) await decide(transfer(payer, '6217000000000000001'));
    assert.ok((await node.flushTriggers()) >= 3);
    const rows = await services.db
      .selectFrom('warning_triggers')
      .innerJoin('warnings', 'warnings.id', 'warning_triggers.warning_id')
      .select(['warnings.id', 'warning_triggers.kind'])
      .where('warning_triggers.kind', '=', 'flagged_payee')
      .execute();
    assert.equal(rows.length, 3, 'each attempt is evidence');
    assert.equal(new Set(rows.map((r) => r.id)).size, 1, 'one warning for the episode');
  });
});
