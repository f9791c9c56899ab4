import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision, DecisionEvent, DecisionMatch } from '../../src/registry/engine/index.ts';
import { triggerOfDecision } from '../../src/warnings/decision-triggers.ts';

const NOW = Date.parse('2026-11-30T10:00:00Z');
const match = (role: string, action: DecisionMatch['action'] = 'warn'): DecisionMatch => ({
  listingId: 'l1',
  kind: 'phone',
  value: '+8613800138000',
  category: 'impersonate_police',
  confidence: 0.9,
  role,
  status: 'active',
  action,
});
const decision = (matches: DecisionMatch[], over: Partial<Decision> = {}): Decision => ({
  action: matches.length ? 'warn' : 'allow',
  score: 0.9,
  matches,
  reasons: [],
  warnings: [],
  policy: { id: 'default', version: 1 },
  ...over,
});

describe('warning triggers read off decisions', () => {
  const transfer: DecisionEvent = {
    kind: 'transfer',
    parties: [
      { role: 'payer', kind: 'bank_account', value: '6222020200112233445' },
      { role: 'payee', kind: 'bank_account', value: '6217000000000000001' },
    ],
    institutionId: 'bank-1',
    occurredAt: NOW - 1000,
  };

  test('a transfer to a flagged payee warns the payer, at the time of the attempt', () => {
    const t = triggerOfDecision(transfer, decision([match('payee')]), NOW)!;
    assert.equal(t.kind, 'flagged_payee');
    assert.deepEqual(t.person, { account: '6222020200112233445' });
    assert.equal(t.at, NOW - 1000);
    assert.equal(t.institutionId, 'bank-1');
    assert.equal(t.scamType, 'impersonate_police');
  });

  test('nothing when the payee is allowed, only the payer matched, or nothing matched', () => {
    assert.equal(triggerOfDecision(transfer, decision([match('payee', 'allow')]), NOW), null);
    assert.equal(triggerOfDecision(transfer, decision([match('payer')]), NOW), null);
    assert.equal(triggerOfDecision(transfer, decision([]), NOW), null);
  });

  test('an SMS from a listed sender warns the recipient only when its text reads as a scam', () => {
    const sms: DecisionEvent = {
      kind: 'sms',
      parties: [
        { role: 'sender', kind: 'phone', value: '+8613800138000' },
        { role: 'recipient', kind: 'phone', value: '+8613912345678' },
      ],
      content: '您涉嫌洗钱，请立即联系…',
    };
    const scam = decision([match('sender')], { content: { label: 'impersonate_police', probability: 0.97 } });
    const t = triggerOfDecision(sms, scam, NOW)!;
    assert.equal(t.kind, 'fraud_sms');
    assert.deepEqual(t.person, { msisdn: '+8613912345678' });
    assert.equal(triggerOfDecision(sms, decision([match('sender')]), NOW), null, 'a harmless text');
  });

  test('a visit to a listed link warns the visitor when the event names one', () => {
    const visit: DecisionEvent = {
      kind: 'url_visit',
      parties: [
        { role: 'url', kind: 'url', value: 'https://evil.example/pay' },
        { role: 'visitor', kind: 'phone', value: '+8613912345678' },
      ],
    };
    assert.equal(triggerOfDecision(visit, decision([match('url')]), NOW)?.kind, 'link_visit');
    const anonymous: DecisionEvent = { kind: 'url_visit', parties: [visit.parties[0]!] };
    assert.equal(triggerOfDecision(anonymous, decision([match('url')]), NOW), null);
  });

  test('a call decision is no trigger (the contact watch judges calls by their length)', () => {
    const call: DecisionEvent = {
      kind: 'call',
      parties: [
        { role: 'caller', kind: 'phone', value: '+8613800138000' },
        { role: 'callee', kind: 'phone', value: '+8613912345678' },
      ],
    };
    assert.equal(triggerOfDecision(call, decision([match('caller')]), NOW), null);
  });
});
