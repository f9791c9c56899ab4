import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ageFrom,
  ageGroup,
  answered,
  containsLink,
  deadlineOf,
  episodeAction,
  escalate,
  HOUR,
  MINUTE,
  openPlan,
  replan,
  riskLevelOf,
  warningPriority,
} from '../../src/warnings/plan.ts';
import { CONTENT_SEED } from '../../src/warnings/content-seed.ts';
import { demoIdNumber } from '../../src/demo/seed.ts';

/** The warning rules on plain data, with a fake clock. */

const NOW = Date.parse('2026-11-30T10:00:00Z');

describe('age', () => {
  test('from the recorded birth date, which wins over the id number', () => {
    assert.equal(ageFrom({ birthDate: '1948-06-18' }, NOW), 78);
    assert.equal(
      ageFrom({ birthDate: '2010-12-01', idNumber: demoIdNumber('110101', '19850312', 1, 'm') }, NOW),
      15,
    );
  });
  test("from a PRC id number's birth-date digits when no birth date is recorded", () => {
    assert.equal(ageFrom({ idNumber: demoIdNumber('510107', '19480618', 4, 'f') }, NOW), 78);
    assert.equal(ageFrom({ idNumber: demoIdNumber('110105', '20100402', 6, 'f') }, NOW), 16);
    // The day before the birthday, one year less.
    assert.equal(ageFrom({ idNumber: demoIdNumber('110105', '20081201', 6, 'f') }, NOW), 17);
  });
  test('none from a passport or an invalid number', () => {
    assert.equal(ageFrom({ idNumber: 'passport:E1234567' }, NOW), null);
    assert.equal(ageFrom({ idNumber: '110101198503120000' }, NOW), null);
    assert.equal(ageFrom({}, NOW), null);
  });
  test('groups: minors under 18, elderly from 60', () => {
    assert.deepEqual([17, 18, 59, 60, null].map(ageGroup), ['minor', 'adult', 'adult', 'elderly', null]);
  });
});

describe('priority', () => {
  const t = (kind: Parameters<typeof warningPriority>[0]['triggers'][number]['kind'], minutesAgo = 5) => ({
    kind,
    at: NOW - minutesAgo * MINUTE,
  });
  test('the same call: elderly and minors come before adults', () => {
    const p = (ageYears: number | null) =>
      warningPriority({ amountAtRisk: null, triggers: [t('fraud_call')], ageYears, now: NOW });
    assert.ok(p(78) > p(40));
    assert.ok(p(15) > p(40));
    assert.ok(p(null) > p(40), 'an unknown age counts a little');
    assert.equal(p(78), p(15));
  });
  test('more money, more priority, on a log scale', () => {
    const p = (amountAtRisk: number | null) =>
      warningPriority({ amountAtRisk, triggers: [t('potential_victim')], ageYears: 40, now: NOW });
    assert.equal(p(null), p(1_000));
    assert.ok(p(100_000) > p(1_000));
    assert.ok(p(10_000_000) > p(100_000));
    assert.equal(p(10_000_000), p(1_000_000_000), 'capped');
  });
  test('a fast episode and an urgent trigger rise; old triggers do not count as fast', () => {
    const base = { amountAtRisk: 500_000, ageYears: 40, now: NOW };
    const one = warningPriority({ ...base, triggers: [t('fraud_call')] });
    const two = warningPriority({ ...base, triggers: [t('fraud_call'), t('fraud_sms')] });
    const urgent = warningPriority({ ...base, triggers: [t('fraud_call'), t('flagged_payee')] });
    const stale = warningPriority({ ...base, triggers: [t('fraud_call', 300), t('fraud_sms', 200)] });
    assert.ok(two > one && urgent > two && one > stale);
  });
  test('bounded 0–100 and mapped to risk levels', () => {
    const max = warningPriority({
      amountAtRisk: 1e12,
      triggers: [t('potential_victim'), t('relative_report'), t('flagged_payee')],
      ageYears: 80,
      now: NOW,
    });
    assert.equal(max, 100);
    assert.equal(warningPriority({ amountAtRisk: null, triggers: [], ageYears: 40, now: NOW }), 0);
    assert.deepEqual([70, 69, 40, 39].map(riskLevelOf), ['high', 'medium', 'medium', 'low']);
  });
});

describe('episodes', () => {
  const open = {
    status: 'open' as const,
    outcomeKind: null,
    closedAt: null,
    lastTriggerAt: NOW - HOUR,
    triggerKinds: ['fraud_call' as const],
  };
  test('an open warning takes every trigger about its person', () => {
    assert.equal(episodeAction(null, 'fraud_call', NOW), 'open');
    assert.equal(episodeAction(open, 'link_visit', NOW), 'merge');
    assert.equal(episodeAction({ ...open, lastTriggerAt: NOW - 72 * HOUR }, 'fraud_call', NOW), 'merge');
  });
  test('a closed one reopens within 24 h of its last trigger, not after', () => {
    const closed = {
      ...open,
      status: 'closed' as const,
      outcomeKind: 'dissuaded' as const,
      closedAt: NOW - HOUR,
    };
    assert.equal(episodeAction(closed, 'fraud_call', NOW), 'reopen');
    assert.equal(episodeAction({ ...closed, lastTriggerAt: NOW - 25 * HOUR }, 'fraud_call', NOW), 'open');
  });
  test('after a false alarm the same kind is suppressed for 7 days; another kind is not', () => {
    const fa = {
      ...open,
      status: 'closed' as const,
      outcomeKind: 'false_alarm' as const,
      closedAt: NOW - 3 * 24 * HOUR,
      lastTriggerAt: NOW - 3 * 24 * HOUR,
    };
    assert.equal(episodeAction(fa, 'fraud_call', NOW), 'suppress');
    assert.equal(episodeAction(fa, 'relative_report', NOW), 'open');
    assert.equal(episodeAction({ ...fa, closedAt: NOW - 8 * 24 * HOUR }, 'fraud_call', NOW), 'open');
  });
});

describe('channel plan', () => {
  test('high risk: SMS sent, push skipped (no gateway), the call due in 15 min', () => {
    const plan = openPlan('high', NOW);
    assert.deepEqual(
      plan.map((s) => s.status),
      ['skipped', 'done', 'active', 'pending'],
    );
    assert.equal(plan[0]!.result, 'no_gateway', 'a push that never left is not recorded as sent');
    assert.equal(deadlineOf(plan), new Date(NOW + 15 * MINUTE).toISOString());
    assert.equal(deadlineOf(openPlan('medium', NOW)), new Date(NOW + 60 * MINUTE).toISOString());
  });
  test('low risk: the SMS waits for an answer; the call only when escalated', () => {
    const plan = openPlan('low', NOW);
    assert.deepEqual(
      plan.map((s) => s.status),
      ['skipped', 'active', 'pending', 'pending'],
    );
    const e = escalate(plan, 'low', NOW + 24 * HOUR);
    assert.equal(e.from, 'sms');
    assert.equal(e.next, 'call');
  });
  test('unanswered steps escalate call → visit → nobody left', () => {
    const a = escalate(openPlan('high', NOW), 'high', NOW + 15 * MINUTE);
    assert.deepEqual([a.from, a.next], ['call', 'visit']);
    assert.equal(deadlineOf(a.plan), new Date(NOW + 135 * MINUTE).toISOString());
    const b = escalate(a.plan, 'high', NOW + 135 * MINUTE);
    assert.deepEqual([b.from, b.next], ['visit', null]);
    assert.equal(deadlineOf(b.plan), null);
    assert.deepEqual(
      b.plan.map((s) => s.status),
      ['skipped', 'done', 'unanswered', 'unanswered'],
    );
  });
  test('answered ends the plan there', () => {
    const plan = answered(openPlan('high', NOW), 'call', NOW + MINUTE);
    assert.deepEqual(
      plan.map((s) => s.status),
      ['skipped', 'done', 'done', 'skipped'],
    );
    assert.equal(deadlineOf(plan), null);
  });
  test('a rise in risk brings the call forward, never pushes a deadline back', () => {
    const low = replan(openPlan('low', NOW), 'high', NOW + MINUTE);
    assert.equal(low.find((s) => s.status === 'active')?.channel, 'call');
    const medium = openPlan('medium', NOW);
    assert.equal(deadlineOf(replan(medium, 'high', NOW)), new Date(NOW + 15 * MINUTE).toISOString());
    const high = openPlan('high', NOW);
    assert.equal(deadlineOf(replan(high, 'medium', NOW + 10 * MINUTE)), deadlineOf(high));
  });
});

describe('texts', () => {
  test('links and domains are found, plain prose and the hotline are not', () => {
    for (const t of [
      'see https://x.cn',
      'www.bank-help.com now',
      'visit refund-taobao-service.com',
      'ICBC.CN/verify',
      'http://1.2.3.4/',
    ])
      assert.ok(containsLink(t), t);
    for (const t of [
      'Call 96110 if in doubt.',
      '请拨打96110。',
      'e.g. a parcel, i.e. customs',
      'U.S. dollars',
    ])
      assert.ok(!containsLink(t), t);
  });
  test('every seeded SMS and push is linkless and fits one message', () => {
    for (const item of CONTENT_SEED) {
      for (const body of [item.zh.sms, item.zh.push.body, item.en.sms, item.en.push.body])
        assert.ok(!containsLink(body), body);
      assert.ok([...item.zh.sms].length <= 70, item.zh.sms);
      assert.ok(item.en.sms.length <= 160, item.en.sms);
    }
  });
});
