import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  configuredParams,
  describeParams,
  durationMs,
  formatDuration,
  ParamsError,
  paramsFingerprint,
  parseDetectorParams,
  readDetectorParams,
} from '../../src/detection/params.ts';
import { allDetectors } from '../../src/detection/detectors/index.ts';
import {
  DEFAULT_CARD_LIMIT_PARAMS,
  type CardLimitDetector,
} from '../../src/detection/detectors/card-limit.ts';
import type { SimboxDetector } from '../../src/detection/detectors/simbox.ts';
import type { FraudCallerDetector } from '../../src/detection/detectors/fraud-caller.ts';
import type { SpoofedCallerDetector } from '../../src/detection/detectors/spoofed-caller.ts';
import { runDetection } from '../../src/detection/run.ts';
import { simulate } from '../../src/detection/simulate/index.ts';
import type { Detection } from '../../src/detection/records.ts';

/** The detectors' parameters file (src/detection/params.ts): what it sets, what it refuses. */

const parse = (o: unknown) => parseDetectorParams(JSON.stringify(o), 'p.json');
/** The message of the ParamsError that parsing `o` throws. */
function fault(o: unknown): string {
  try {
    parse(o);
  } catch (err) {
    assert.ok(err instanceof ParamsError, String(err));
    return err.message;
  }
  assert.fail('no error');
}

describe('detector parameters', () => {
  test('sets what the file names, converts durations and the cell-region pattern, keeps the rest', () => {
    const p = parse({
      card_limit: { nationalLimit: 3, operatorLimits: { 'China Mobile': 4 }, burstKey: 'operator_region' },
      simbox: { windowMs: '12h', minOutbound: 30 },
      fraud_caller: { newCardMs: 1_209_600_000 },
      spoofed_caller: { cellRegion: '^(\\d{6})-', jumpWindowMs: '90s' },
      mule_account: { cashOutChannels: ['atm'], structuringThresholds: [50_000], tzOffsetMin: -300 },
    });
    assert.deepEqual(p.card_limit, {
      nationalLimit: 3,
      operatorLimits: { 'China Mobile': 4 },
      burstKey: 'operator_region',
    });
    assert.deepEqual(p.simbox, { windowMs: 12 * 3_600_000, minOutbound: 30 });
    assert.equal(p.fraud_caller!.newCardMs, 14 * 86_400_000);
    assert.equal(p.spoofed_caller!.jumpWindowMs, 90_000);
    const region = p.spoofed_caller!.cellRegion!;
    assert.equal(region('440305-0012'), '440305');
    assert.equal(region('no region here'), null);
    assert.equal(p.mule_account!.tzOffsetMin, -300);
    assert.deepEqual(parse({}), {});
    assert.deepEqual(parse({ iot_misuse: {} }), { iot_misuse: {} });
  });

  test('the detectors run with them; simbox and fraud_caller share partner windows only while equal', () => {
    const p = parse({ card_limit: { nationalLimit: 2 }, spoofed_caller: { cellRegion: '^(..)-' } });
    const ds = allDetectors(p);
    const byName = new Map(ds.map((d) => [d.name, d]));
    const limit = byName.get('card_limit') as CardLimitDetector;
    assert.equal(limit.p.nationalLimit, 2);
    assert.equal(limit.p.perOperatorLimit, DEFAULT_CARD_LIMIT_PARAMS.perOperatorLimit);
    assert.equal((byName.get('spoofed_caller') as SpoofedCallerDetector).p.cellRegion!('BJ-0001'), 'BJ');
    const shared = allDetectors(parse({ simbox: { windowMs: '12h' }, fraud_caller: { windowMs: '12h' } }));
    const [s1, f1] = shared as [SimboxDetector, FraudCallerDetector];
    assert.equal(s1.windows, f1.windows);
    assert.equal(s1.windows.windowMs, 12 * 3_600_000);
    const apart = allDetectors(parse({ simbox: { windowMs: '12h' } }));
    const [s2, f2] = apart as [SimboxDetector, FraudCallerDetector];
    assert.notEqual(s2.windows, f2.windows);
    assert.equal(f2.windows.windowMs, 24 * 3_600_000);
  });

  test('every fault of a file is named at once, with the nearest name for a mistyped one', () => {
    const m = fault({
      simbx: {},
      simbox: { windowMS: 1, cvRegular: 0.5, cvIrregular: 0.4 },
      card_limit: {
        nationalLimit: 2.5,
        perOperatorLimit: -1,
        operatorLimits: { X: 'four' },
        burstKey: 'outlet',
      },
      fraud_caller: { maxInboundRatio: 1.5, cellRegion: '^\\d{6}', windowMs: '3 weeks', countIot: true },
      spoofed_caller: { cellRegion: '([' },
      iot_misuse: { windowMs: 0 },
      mule_account: { tzOffsetMin: 900, cashOutChannels: 'atm' },
      potential_victim: { longCallS: 30, shortCallS: 60 },
    });
    for (const part of [
      'p.json: ',
      'simbx: no such detector (did you mean simbox?)',
      'simbox.windowMS: no such parameter (did you mean windowMs?)',
      'simbox: cvRegular must be below cvIrregular',
      'card_limit.nationalLimit: a whole number',
      'card_limit.perOperatorLimit: must not be below 0',
      'card_limit.operatorLimits: X: a number',
      'card_limit.burstKey: one of operator, operator_region',
      'fraud_caller.maxInboundRatio: a share, 0 to 1',
      'fraud_caller.cellRegion: the regular expression needs a group',
      'fraud_caller.windowMs: a duration',
      'fraud_caller.countIot: no such parameter',
      'spoofed_caller.cellRegion: not a regular expression',
      'iot_misuse.windowMs: must be longer than 0',
      'mule_account.tzOffsetMin: minutes from UTC',
      'mule_account.cashOutChannels: a list of names',
      'potential_victim: longCallS must be above shortCallS',
    ])
      assert.ok(m.includes(part), `${part} in: ${m}`);
    assert.match(fault({ simbox: 5 }), /simbox: expected an object of parameters/);
    assert.match(fault({ sms: {} }), /sms: no such detector \(simbox, fraud_caller, .*potential_victim\)/);
    assert.match(fault([1]), /expected a JSON object with one entry per detector/);
    assert.throws(() => parseDetectorParams('{"simbox": {', 'p.json'), /p\.json: not JSON/);
  });

  test('durations: milliseconds or a number with a unit, written back in the largest whole unit', () => {
    assert.equal(durationMs(1500), 1500);
    assert.equal(durationMs(1500.4), 1500);
    assert.equal(durationMs('1.5s'), 1500);
    assert.equal(durationMs('10min'), 600_000);
    assert.equal(durationMs('30d'), 30 * 86_400_000);
    assert.ok(Number.isNaN(durationMs('10 minutes')));
    assert.ok(Number.isNaN(durationMs(true)));
    assert.equal(formatDuration(86_400_000), '1d');
    assert.equal(formatDuration(90_000), '90s');
    assert.equal(formatDuration(1500), '1500ms');
    assert.equal(formatDuration(0), '0ms');
  });

  test('the parameters described are a parameters file that reads back the same', () => {
    const p = parse({ card_limit: { nationalLimit: 3 }, fraud_caller: { cellRegion: '^(\\d{6})-' } });
    const described = describeParams(p);
    assert.equal(described.card_limit.nationalLimit, 3);
    assert.equal(described.simbox.windowMs, '1d');
    assert.equal(described.fraud_caller.cellRegion, '^(\\d{6})-');
    assert.equal(described.spoofed_caller.cellRegion, null);
    assert.deepEqual(describeParams(parse(described)), described);
    assert.deepEqual(describeParams(parse(describeParams())), describeParams());
  });

  test('the fingerprint follows the values, not how a file writes or orders them', () => {
    const a = parse({ card_limit: { operatorLimits: { A: 1, B: 2 } }, simbox: { windowMs: '12h' } });
    const b = parse({ simbox: { windowMs: 43_200_000 }, card_limit: { operatorLimits: { B: 2, A: 1 } } });
    assert.equal(paramsFingerprint(a), paramsFingerprint(b));
    assert.match(paramsFingerprint(a), /^[0-9a-f]{12}$/);
    assert.notEqual(paramsFingerprint(a), paramsFingerprint());
    const c = parse({ card_limit: { operatorLimits: { A: 1, B: 3 } }, simbox: { windowMs: '12h' } });
    assert.notEqual(paramsFingerprint(c), paramsFingerprint(a));
    assert.equal(paramsFingerprint(parse({ iot_misuse: { windowMs: '1d' } })), paramsFingerprint());
  });

  test('a file is read once per process for the configuration; one that cannot be read is named', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-params-'));
    try {
      const file = path.join(dir, 'params.json');
      fs.writeFileSync(file, JSON.stringify({ card_limit: { nationalLimit: 4 } }));
      const a = configuredParams({ detectorParamsFile: file });
      assert.equal(a.card_limit!.nationalLimit, 4);
      fs.writeFileSync(file, JSON.stringify({ card_limit: { nationalLimit: 9 } }));
      assert.equal(configuredParams({ detectorParamsFile: file }), a, 'the same parameters for the process');
      assert.equal(readDetectorParams(file).card_limit!.nationalLimit, 9);
      assert.deepEqual(configuredParams({ detectorParamsFile: undefined }), {});
      assert.throws(
        () => readDetectorParams(path.join(dir, 'none.json')),
        /none\.json: cannot be read \(ENOENT\)/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('on a simulated world, a lower national card limit reports more holders', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-params-world-'));
    try {
      await simulate({ people: 1000, days: 1, seed: 11, outDir: dir });
      const cards = path.join(dir, 'cards.csv');
      const holders = async (nationalLimit?: number) => {
        const ds: Detection[] = [];
        const params = nationalLimit === undefined ? {} : parse({ card_limit: { nationalLimit } });
        await runDetection(
          { cards },
          allDetectors(params).filter((d) => d.name === 'card_limit'),
          {
            emit: (d) => ds.push(d),
          },
        );
        return ds.filter((d) => (d.evidence as { rule?: string }).rule === 'over_limit');
      };
      const byDefault = await holders();
      const lower = await holders(3);
      assert.ok(lower.length > byDefault.length, `${lower.length} against ${byDefault.length}`);
      for (const d of lower) assert.equal((d.evidence as { nationalLimit: number }).nationalLimit, 3);
      for (const d of byDefault)
        assert.ok(
          lower.some((x) => x.subject === d.subject),
          d.subject,
        );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
