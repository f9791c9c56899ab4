/**
 * The warnings pages' pure helpers (web/src/pages/warnings/helpers.ts): the time left to a step's
 * deadline and when a warning is overdue, the queue's order and the warning to act on next, the
 * audience of a person's script, amounts typed in yuan, and the SMS hints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activeStep,
  audienceOf,
  currentChannel,
  durationText,
  isOverdue,
  looksLikeLink,
  msLeft,
  nextToAct,
  parseYuan,
  queueOrder,
  smsLimit,
  yuan,
} from '../../web/src/pages/warnings/helpers.ts';
import {
  AUDIENCES,
  CHANNELS,
  CONTENT_CHANNELS,
  CONTENT_LANGUAGES,
  OUTCOMES,
  RISK_LEVELS,
  STEP_STATUSES,
  TRIGGER_KINDS,
  type ChannelStep,
  type WarningSummary,
} from '../../web/src/pages/warnings/types.ts';
import { en } from '../../web/src/i18n/en.ts';
import { zhCN } from '../../web/src/i18n/zh-CN.ts';

const NOW = Date.parse('2026-11-30T03:00:00Z');
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();

function step(channel: ChannelStep['channel'], status: ChannelStep['status']): ChannelStep {
  return { channel, status, dueAt: null, startedAt: null, endedAt: null, result: null };
}

function warning(over: Partial<WarningSummary> & { id: string }): WarningSummary {
  return {
    reference: `WRN-2026-${over.id.padStart(6, '0')}`,
    status: 'open',
    riskLevel: 'medium',
    priority: 50,
    scamType: 'investment_pension',
    person: { maskedName: '张*', maskedPhone: '138****0000', ageYears: 40, ageGroup: 'adult' },
    amountAtRisk: null,
    deadlineAt: at(30),
    channelPlan: [
      step('app_push', 'done'),
      step('sms', 'done'),
      step('call', 'active'),
      step('visit', 'pending'),
    ],
    outcome: null,
    openedAt: at(-10),
    lastTriggerAt: at(-5),
    closedAt: null,
    triggerCount: 1,
    ...over,
  };
}

test('time left: minutes to the deadline, negative past it, none without one', () => {
  assert.equal(msLeft(at(15), NOW), 15 * 60_000);
  assert.equal(msLeft(at(-3), NOW), -3 * 60_000);
  assert.equal(msLeft(null, NOW), null);
  assert.equal(msLeft('not a time', NOW), null);
});

test('overdue: an open warning past its deadline, or flagged by the server; never a closed one', () => {
  assert.equal(isOverdue({ status: 'open', deadlineAt: at(-1) }, NOW), true);
  assert.equal(isOverdue({ status: 'open', deadlineAt: at(1) }, NOW), false);
  assert.equal(isOverdue({ status: 'open', deadlineAt: null }, NOW), false);
  // after the visit went unanswered: no step waits, the server keeps it flagged
  assert.equal(isOverdue({ status: 'open', deadlineAt: null, overdue: true }, NOW), true);
  assert.equal(isOverdue({ status: 'closed', deadlineAt: at(-60), overdue: true }, NOW), false);
});

test('durations read in both languages, the sign left to the caller', () => {
  assert.equal(durationText(20_000, 'en'), '<1 min');
  assert.equal(durationText(8 * 60_000 + 59_000, 'en'), '8 min');
  assert.equal(durationText(-8 * 60_000, 'en'), '8 min');
  assert.equal(durationText(65 * 60_000, 'en'), '1 h 05 min');
  assert.equal(durationText(120 * 60_000, 'en'), '2 h');
  assert.equal(durationText((26 * 60 + 10) * 60_000, 'en'), '1 d 2 h');
  assert.equal(durationText(65 * 60_000, 'zh-CN'), '1小时5分');
  assert.equal(durationText(14 * 60_000, 'zh-CN'), '14分钟');
  assert.equal(durationText(30_000, 'zh-CN'), '不到1分钟');
});

test('the queue: priority first, then the nearest deadline (none last), then the oldest', () => {
  const rows = [
    warning({ id: '1', priority: 40, deadlineAt: at(5) }),
    warning({ id: '2', priority: 90, deadlineAt: at(14) }),
    warning({ id: '3', priority: 90, deadlineAt: at(2) }),
    warning({ id: '4', priority: 90, deadlineAt: null, openedAt: at(-60) }),
    warning({ id: '5', priority: 90, deadlineAt: null, openedAt: at(-90) }),
  ];
  assert.deepEqual(
    [...rows].sort(queueOrder).map((w) => w.id),
    ['3', '2', '5', '4', '1'],
  );
});

test('act next: the first open warning in the queue order; none when all are closed', () => {
  const elderly = warning({
    id: '7',
    priority: 92,
    riskLevel: 'high',
    person: { maskedName: '李*', maskedPhone: '139****1111', ageYears: 72, ageGroup: 'elderly' },
  });
  const closedHigher = warning({ id: '8', priority: 99, status: 'closed', closedAt: at(-1) });
  const rows = [warning({ id: '6', priority: 60 }), closedHigher, elderly];
  assert.equal(nextToAct(rows)?.id, '7');
  assert.equal(nextToAct([closedHigher]), null);
  assert.equal(nextToAct([]), null);
});

test('the step to work: the call or visit waiting, not the push and SMS sent alongside', () => {
  const plan = [
    step('app_push', 'active'),
    step('sms', 'active'),
    step('call', 'active'),
    step('visit', 'pending'),
  ];
  assert.equal(activeStep(plan)?.channel, 'call');
  assert.equal(currentChannel([step('app_push', 'active'), step('sms', 'active')]), 'app_push');
  assert.equal(currentChannel([step('call', 'unanswered'), step('visit', 'active')]), 'visit');
  assert.equal(activeStep([step('call', 'done'), step('visit', 'skipped')]), null);
});

test('the script audience follows the age group; adults and unknown ages get the general text', () => {
  assert.equal(audienceOf('elderly'), 'elderly');
  assert.equal(audienceOf('minor'), 'minor');
  assert.equal(audienceOf('adult'), 'everyone');
  assert.equal(audienceOf(null), 'everyone');
});

test('amounts: fen shown as yuan; what an operator types read as fen, nonsense refused', () => {
  assert.match(yuan(1_200_050, 'en'), /12,000\.50/);
  assert.match(yuan(30_000, 'zh-CN'), /300\.00/);
  assert.equal(parseYuan('12,000.5'), 1_200_050);
  assert.equal(parseYuan('¥300'), 30_000);
  assert.equal(parseYuan(' 5000元 '), 500_000);
  assert.equal(parseYuan('0.01'), 1);
  for (const bad of ['', '0', '-5', '1.234', 'abc', '1e5']) assert.equal(parseYuan(bad), null, bad);
});

test('SMS hints: one message is 70 Chinese or 160 English characters; links are spotted', () => {
  assert.equal(smsLimit('zh'), 70);
  assert.equal(smsLimit('en'), 160);
  assert.equal(looksLikeLink('Call 96110 if anyone asks you to transfer money.'), false);
  assert.equal(looksLikeLink('公安机关不会要求转账到“安全账户”，请拨打96110。'), false);
  for (const body of [
    'Check https://x.example',
    'Go to www.safe-pay.cn',
    'Visit refund-help.com now',
    '登录 abc.top 领取',
  ])
    assert.equal(looksLikeLink(body), true, body);
});

test('every code the pages label by lookup has its text in both languages', () => {
  const codes = {
    riskLevels: RISK_LEVELS,
    channels: CHANNELS,
    stepStatus: STEP_STATUSES,
    outcomes: OUTCOMES,
    triggerKinds: TRIGGER_KINDS,
    audiences: AUDIENCES,
    contentChannels: CONTENT_CHANNELS,
    languages: CONTENT_LANGUAGES,
  } as const;
  for (const dict of [en, zhCN])
    for (const [group, list] of Object.entries(codes))
      assert.deepEqual(
        Object.keys(dict.warnings[group as keyof typeof codes]).sort(),
        [...list].sort(),
        `warnings.${group}`,
      );
});
