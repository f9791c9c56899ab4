import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  computeConfidence,
  DAY_MS,
  decayWeight,
  DEFAULT_HALF_LIFE_MS,
  DEFAULT_REPORT_CAP,
  DEFAULT_TRUST,
  defaultTrust,
  type SourceInput,
} from '../../src/registry/confidence.ts';

const NOW = Date.parse('2026-03-01T00:00:00Z');
const reports = (n: number, lastAt = NOW): SourceInput[] =>
  Array.from({ length: n }, () => ({ kind: 'report' as const, lastAt }));

describe('confidence', () => {
  test('no sources: 0; one source of each kind: its trust', () => {
    assert.equal(computeConfidence([], NOW), 0);
    for (const kind of ['analyst', 'institution', 'detector', 'feed'] as const) {
      assert.equal(computeConfidence([{ kind, lastAt: NOW }], NOW), DEFAULT_TRUST[kind]);
    }
    // One anonymous report is worth about 0.05.
    const one = computeConfidence(reports(1), NOW);
    assert.ok(one > 0.045 && one <= 0.05, `one report: ${one}`);
  });

  test("an analyst's confirmation beats a hundred anonymous reports", () => {
    const analyst = computeConfidence([{ kind: 'analyst', lastAt: NOW }], NOW);
    const hundred = computeConfidence(reports(100), NOW);
    const thousand = computeConfidence(reports(1000), NOW);
    assert.equal(analyst, 0.95);
    assert.ok(hundred < analyst, `100 reports ${hundred} < analyst ${analyst}`);
    assert.ok(thousand <= DEFAULT_REPORT_CAP, 'reports never pass their ceiling');
    assert.ok(hundred > 0.5, 'but a hundred reports still count for much');
  });

  test('reports have diminishing returns', () => {
    const c = [1, 2, 5, 10, 20, 50].map((n) => computeConfidence(reports(n), NOW));
    for (let i = 1; i < c.length; i++) assert.ok(c[i]! > c[i - 1]!, 'more reports, more confidence');
    const gain1 = c[1]! - c[0]!; // 1 → 2
    const gain2 = (c[5]! - c[4]!) / 30; // per report from 20 → 50
    assert.ok(gain2 < gain1 / 2, 'each further report adds less');
  });

  test('independent sources combine: 1 − Π(1 − trust)', () => {
    const c = computeConfidence(
      [
        { kind: 'institution', lastAt: NOW },
        { kind: 'institution', lastAt: NOW },
        { kind: 'detector', trust: defaultTrust('detector', 0.5), lastAt: NOW },
      ],
      NOW,
    );
    assert.equal(c, Math.round((1 - 0.2 * 0.2 * (1 - 0.35)) * 10_000) / 10_000);
    assert.equal(defaultTrust('detector', 0.5), 0.35);
    assert.equal(defaultTrust('detector', 2), 0.7, 'scores are clamped to 1');
  });

  test('decay: half the weight every half-life unless seen again', () => {
    assert.equal(decayWeight(0), 1);
    assert.equal(decayWeight(DEFAULT_HALF_LIFE_MS), 0.5);
    assert.equal(decayWeight(-5), 1, 'a time in the future counts as now');
    const fresh = computeConfidence([{ kind: 'institution', lastAt: NOW }], NOW);
    const old = computeConfidence([{ kind: 'institution', lastAt: NOW - 90 * DAY_MS }], NOW);
    const older = computeConfidence([{ kind: 'institution', lastAt: NOW - 360 * DAY_MS }], NOW);
    assert.equal(fresh, 0.8);
    assert.equal(old, 0.4);
    assert.equal(older, 0.05);
    // Re-sighted: a recent sighting counts as seeing the source again.
    const sighted = computeConfidence([{ kind: 'institution', lastAt: NOW - 360 * DAY_MS }], NOW, {
      lastSightedAt: NOW - DAY_MS,
    });
    assert.ok(sighted > 0.79, `re-sighted ${sighted}`);
    // A custom half-life.
    assert.equal(
      computeConfidence([{ kind: 'institution', lastAt: NOW - 10 * DAY_MS }], NOW, {
        halfLifeMs: 10 * DAY_MS,
      }),
      0.4,
    );
  });

  test('old reports weigh less than fresh ones', () => {
    const fresh = computeConfidence(reports(20), NOW);
    const stale = computeConfidence(reports(20, NOW - 180 * DAY_MS), NOW);
    assert.ok(stale < fresh / 2, `${stale} vs ${fresh}`);
  });

  test('always within 0..1, four decimals', () => {
    const c = computeConfidence(
      [
        { kind: 'analyst', trust: 5, lastAt: NOW },
        { kind: 'institution', trust: -1, lastAt: NOW },
        { kind: 'feed', trust: Number.NaN, lastAt: NOW },
      ],
      NOW,
    );
    assert.ok(c >= 0 && c <= 1, 'c >= 0 && c <= 1');
    assert.equal(c, 1);
    const x = computeConfidence([{ kind: 'feed', trust: 0.123456, lastAt: NOW }], NOW);
    assert.equal(x, 0.1235);
  });
});
