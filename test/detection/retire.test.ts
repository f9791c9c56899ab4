/**
 * The workers' split of the record stream (status.ts, PartitionCoverage) and retiring a worker
 * that no longer runs (retire.ts): holes and overlaps are reported in the status, the API and the
 * metrics; the centre's administrator retires a stopped worker with a reason, audited; a worker
 * that looks alive, or that does not exist, is refused and nothing is deleted.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import { EmbeddedRecordStream } from '../../src/detection/stream/embedded.ts';
import {
  partitionCoverage,
  partitionCountOf,
  recordStreamStatus,
  type PartitionCoverage,
  type WorkerStatus,
} from '../../src/detection/stream/status.ts';
import { retireWorker } from '../../src/detection/stream/retire.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { AppError } from '../../src/core/errors.ts';

const MIN = 60_000;

/** A worker's status as far as the coverage reads it, saved `agoMs` before now. */
const w = (worker: string, partitions: number[], agoMs = 0): Parameters<typeof partitionCoverage>[0][0] => ({
  worker,
  partitions,
  partitionCount: partitionCountOf(worker),
  savedAt: new Date(Date.parse('2026-12-05T10:00:00Z') - agoMs).toISOString(),
});

/** A coverage of `count` partitions with nothing wrong but what `wrong` says. */
const coverage = (count: number | null, wrong: Partial<PartitionCoverage> = {}): PartitionCoverage => ({
  count,
  uncovered: [],
  uncoveredSpec: '',
  command: null,
  shared: [],
  otherSplit: [],
  otherCounts: [],
  ...wrong,
});

describe('partition coverage', () => {
  test('names the partitions no worker owns and those several own, for the split in use', () => {
    assert.deepEqual(partitionCoverage([w('p8:0-3', [0, 1, 2, 3]), w('p8:4-7', [4, 5, 6, 7])]), coverage(8));
    // A worker gone with its checkpoint retired: a hole. A moved partition: an overlap.
    assert.deepEqual(
      partitionCoverage([w('p8:0-3', [0, 1, 2, 3]), w('p8:3-5', [3, 4, 5])]),
      coverage(8, {
        uncovered: [6, 7],
        uncoveredSpec: '6-7',
        command: 'interdict detect worker --partitions 6-7',
        shared: [{ partition: 3, workers: ['p8:0-3', 'p8:3-5'] }],
      }),
    );
  });

  test('the split in use is the last checkpointed one; workers of another count are named apart', () => {
    const cv = partitionCoverage([
      w('p8:0-7', [0, 1, 2, 3, 4, 5, 6, 7], 30 * MIN),
      w('p16:0-7', [0, 1, 2, 3, 4, 5, 6, 7]),
      w('rebuild', [0, 1]),
    ]);
    assert.equal(cv.count, 16);
    assert.deepEqual(cv.uncovered, [8, 9, 10, 11, 12, 13, 14, 15]);
    assert.equal(cv.command, 'interdict detect worker --partitions 8-15 --partition-count 16');
    assert.deepEqual(cv.shared, []);
    assert.deepEqual(cv.otherSplit, ['p8:0-7'], 'a worker named otherwise gives no count and is not named');
    assert.deepEqual(cv.otherCounts, [8]);
    // Stopped or ended workers still own their partitions: they resume them.
    assert.deepEqual(partitionCoverage([w('p4:0-3', [0, 1, 2, 3], 600 * MIN)]).uncovered, []);
    assert.deepEqual(partitionCoverage([]), coverage(null));
    assert.deepEqual(partitionCoverage([w('custom', [0])]).count, null);
  });
});

let app: Api;
let services: Services;
let close: () => Promise<void>;
let admin: string;
let analyst: string;

before(async () => {
  ({ app, services, close } = await testApp());
  await seedUser(services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'centre.admin',
    roles: ['administrator'],
  });
  await seedUser(services, { org: 'Centre', kind: 'anti_fraud_centre', username: 'ana', roles: ['analyst'] });
  await seedUser(services, {
    org: 'Telco',
    kind: 'telecom_operator',
    username: 'telco.admin',
    roles: ['administrator'],
  });
  admin = await signInCookie(app, 'centre.admin');
  analyst = await signInCookie(app, 'ana');
});
after(() => close());

/** Checkpoints: name, partitions, minutes since saved, ended. */
async function checkpoints(rows: [string, number[], number, boolean?][]): Promise<void> {
  await services.db.deleteFrom('detection_checkpoints').execute();
  await services.db
    .insertInto('detection_checkpoints')
    .values(
      rows.map(([worker, partitions, minutes, ended]) => ({
        worker,
        partitions: partitions.join(','),
        cursor: 5,
        gseq: 5,
        ended: ended ?? false,
        state: null,
        params: 'abcdefabcdef',
        saved_at: new Date(Date.now() - minutes * MIN),
      })),
    )
    .execute();
}

const status = async () =>
  recordStreamStatus(services.db, new EmbeddedRecordStream(services.db), services.config);

const retire = (worker: string, body: object, cookie = admin) =>
  app.inject({
    method: 'POST',
    url: `/v1/detection-stream/workers/${encodeURIComponent(worker)}/retire`,
    headers: { cookie },
    payload: body,
  });

const names = async () => (await status()).workers.map((x: WorkerStatus) => x.worker);

describe('retiring a worker', () => {
  beforeEach(() =>
    // The old split's worker p8:4-7 stopped an hour ago; p8:4-5 and p8:6-7 took its partitions.
    checkpoints([
      ['p8:0-3', [0, 1, 2, 3], 0],
      ['p8:4-7', [4, 5, 6, 7], 60],
      ['p8:4-5', [4, 5], 1],
      ['p8:6-7', [6, 7], 2, true],
    ]),
  );

  test('the status and the metrics show the overlap; retiring the old worker mends it, audited', async () => {
    let st = await status();
    assert.deepEqual(
      st.coverage,
      coverage(8, {
        shared: [4, 5, 6, 7].map((partition) => ({
          partition,
          workers: partition < 6 ? ['p8:4-5', 'p8:4-7'] : ['p8:4-7', 'p8:6-7'],
        })),
      }),
    );
    const old = st.workers.find((x) => x.worker === 'p8:4-7')!;
    assert.equal(old.partitionCount, 8);
    // Stopped an hour ago, so it may be retired; its partitions have other workers.
    assert.deepEqual([old.retirable, old.soleSpec], [true, '']);
    // p8:0-3 alone owns 0-3, and checkpointed just now: it looks alive.
    const live = st.workers.find((x) => x.worker === 'p8:0-3')!;
    assert.deepEqual([live.retirable, live.soleSpec], [false, '0-3']);
    // Ended two minutes ago: retirable at once.
    assert.equal(st.workers.find((x) => x.worker === 'p8:6-7')!.retirable, true);
    assert.equal(st.workers.find((x) => x.worker === 'p8:4-5')!.retirable, false);
    let m = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(m, /\ninterdict_detection_partitions_shared 4\n/);
    assert.match(m, /\ninterdict_detection_partitions_uncovered 0\n/);

    const r = await retire('p8:4-7', { reason: 'partitions moved to p8:4-5 and p8:6-7, change 812' });
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json() as { retired: Record<string, unknown>; coverage: unknown };
    assert.deepEqual(
      { ...body.retired, savedAt: typeof body.retired.savedAt },
      {
        worker: 'p8:4-7',
        partitions: [4, 5, 6, 7],
        gseq: 5,
        ended: false,
        savedAt: 'string',
        params: 'abcdefabcdef',
      },
    );
    assert.deepEqual(body.coverage, coverage(8));
    assert.deepEqual(await names(), ['p8:0-3', 'p8:4-5', 'p8:6-7']);
    st = await status();
    assert.deepEqual(st.coverage.shared, []);
    // Now p8:4-5 alone owns 4-5: retiring it would leave them without a worker.
    assert.equal(st.workers.find((x) => x.worker === 'p8:4-5')!.soleSpec, '4-5');
    await new Promise((res) => setTimeout(res, 1100)); // /metrics keeps one status a second
    m = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(m, /\ninterdict_detection_partitions_shared 0\n/);
    assert.doesNotMatch(m, /worker="p8:4-7"/, 'no series for the retired worker');

    const trail = await services.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'detection_worker.retire')
      .execute();
    assert.equal(trail.length, 1);
    assert.equal(trail[0]!.actor_name, 'centre.admin');
    assert.equal(trail[0]!.target_kind, 'detection_worker');
    assert.equal(trail[0]!.target_id, 'p8:4-7');
    assert.equal(trail[0]!.details.reason, 'partitions moved to p8:4-5 and p8:6-7, change 812');
    assert.deepEqual(trail[0]!.details.partitions, [4, 5, 6, 7]);
  });

  test('retiring the only owner of partitions leaves a hole the status, the metrics and the answer name', async () => {
    const r = await retire('p8:6-7', { reason: 'host decommissioned' });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual((r.json() as { coverage: { uncovered: number[] } }).coverage.uncovered, []);
    const again = await retire('p8:4-7', { reason: 'old split' });
    assert.equal(again.statusCode, 200, again.body);
    const cv = (again.json() as { coverage: { uncovered: number[]; command: string } }).coverage;
    assert.deepEqual(cv.uncovered, [6, 7]);
    assert.equal(cv.command, 'interdict detect worker --partitions 6-7');
    await new Promise((res) => setTimeout(res, 1100));
    const m = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(m, /\ninterdict_detection_partitions_uncovered 2\n/);
  });

  test('a worker that looks alive, or has no checkpoint, is refused and nothing is deleted', async () => {
    const alive = await retire('p8:4-5', { reason: 'not needed' });
    assert.equal(alive.statusCode, 409, alive.body);
    const problem = alive.json() as { code: string; detail: string };
    assert.equal(problem.code, 'worker_active');
    assert.match(problem.detail, /^worker p8:4-5 checkpointed \d+ s ago: it looks alive\. Stop it first/);
    const none = await retire('p8:9', { reason: 'typo' });
    assert.equal(none.statusCode, 404, none.body);
    assert.match((none.json() as { detail: string }).detail, /no worker p8:9 has a checkpoint/);
    assert.equal((await retire('p8:4-7', { reason: ' ' })).statusCode, 400, 'a reason is required');
    assert.equal((await retire('p8:4-7', {})).statusCode, 400);
    assert.deepEqual(await names(), ['p8:0-3', 'p8:4-5', 'p8:4-7', 'p8:6-7']);
    const trail = await services.db
      .selectFrom('audit_log')
      .select('target_id')
      .where('action', '=', 'detection_worker.retire')
      .where('target_id', 'in', ['p8:4-5', 'p8:9'])
      .execute();
    assert.deepEqual(trail, [], 'nothing refused is in the audit trail as done');
    // The function itself, as the CLI calls it: an ended worker may go whenever.
    const done = await retireWorker(services.db, SYSTEM, 'p8:6-7', 'ended run of the 3rd');
    assert.equal(done.ended, true);
    await assert.rejects(
      retireWorker(services.db, SYSTEM, 'p8:6-7', 'again'),
      (err) => err instanceof AppError && err.status === 404,
    );
  });

  test('only the centre’s administrators retire workers', async () => {
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/v1/detection-stream/workers/p8%3A4-7/retire',
          payload: { reason: 'x y z' },
        })
      ).statusCode,
      401,
    );
    assert.equal((await retire('p8:4-7', { reason: 'not mine to do' }, analyst)).statusCode, 403);
    const telco = await signInCookie(app, 'telco.admin');
    assert.equal((await retire('p8:4-7', { reason: 'not ours to do' }, telco)).statusCode, 403);
    assert.ok((await names()).includes('p8:4-7'));
  });
});
