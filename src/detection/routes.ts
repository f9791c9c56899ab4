import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Api, Services } from '../api/types.ts';
import { principalOf } from '../api/access.ts';
import { Problem } from '../api/problem.ts';
import { forbidden } from '../core/errors.ts';
import { SCAM_CATEGORY_LIST, type ScamCategory } from '../registry/engine/taxonomy.ts';
import { DETECTORS, SUBJECT_KINDS, type Detection } from './records.ts';
import { DETECTION_STATUSES, MEASURES } from './tables.ts';
import { scheduleClaimedJob } from '../core/jobs.ts';
import { EmbeddedRecordStream } from './stream/embedded.ts';
import { openRecordStream } from './stream/open.ts';
import { recordStreamStatus, type RecordStreamStatus } from './stream/status.ts';
import { retireWorker } from './stream/retire.ts';
import { Gauge } from 'prom-client';
import type { RecordStream } from './stream/types.ts';
import { FeedSchema, FeedTimesSchema, ingestRoute, mergeIdleFeeds } from './stream/ingest-route.ts';
import { configuredParams, describeParams, paramsFingerprint } from './params.ts';
import {
  decideDetection,
  detectionSummary,
  getDetection,
  listDetections,
  recordDetections,
} from './store.ts';

/**
 * Detections over HTTP (docs/detection.md, "Detections in the registry"): operators and banks
 * send the detections of their own detectors (API key `detections:write`) and read theirs
 * (`detections:read`); the centre's analysts work the review queue and decide.
 */

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const readers = {
  roles: ['analyst', 'supervisor', 'auditor', 'institution_operator', 'administrator'],
  scope: 'detections:read',
} as const;
const deciders = { roles: ['analyst', 'supervisor'], orgKinds: ['anti_fraud_centre'] } as const;
/** The platform's own streaming workers are the centre's to watch (not an institution's key). */
const streamWatchers = {
  roles: ['administrator', 'supervisor', 'analyst', 'auditor'],
  orgKinds: ['anti_fraud_centre'],
} as const;
/** How often staged feed records are merged when no upload comes (feeds.ts). */
const MERGE_EVERY_MS = 30_000;
/** How often the embedded record stream is pruned to its retention. */
const PRUNE_EVERY_MS = 3_600_000;

const CoverageSchema = z
  .object({
    count: z
      .number()
      .int()
      .nullable()
      .describe('the partition count of the split in use (the last saved checkpoint’s); null: none'),
    uncovered: z
      .array(z.number().int())
      .describe('partitions no worker owns: the detections whose subject falls in them are made by no one'),
    uncoveredSpec: z.string().describe('`uncovered` as `--partitions` takes them; empty when none'),
    command: z.string().nullable().describe('the command that starts a worker for `uncovered`'),
    shared: z
      .array(z.object({ partition: z.number().int(), workers: z.array(z.string()) }))
      .describe('partitions several workers own: each of their detections is made twice'),
    otherCounts: z.array(z.number().int()).describe('the partition counts of `otherSplit`’s workers'),
    otherSplit: z
      .array(z.string())
      .describe('workers whose names give another partition count: a split changed without retiring them'),
  })
  .meta({ id: 'PartitionCoverage' });

const StreamStatusSchema = z
  .object({
    kind: z.enum(['embedded', 'nats', 'memory']),
    head: z.object({
      gseq: z.number().int().describe('the last entry published'),
      lastTickAt: z.string().nullable().describe('stream time of the last clock entry'),
      ended: z.boolean().describe('the input was closed (`detect publish --end`)'),
    }),
    stored: z.object({
      fromGseq: z.number().int().nullable().describe('the oldest entry kept'),
      bytes: z.number().int(),
      units: z.number().int().describe('rows (embedded) or messages (NATS) kept'),
    }),
    keepMs: z.number().int().describe('retention: stream time on the embedded stream, age on NATS'),
    publisher: z
      .object({
        holder: z.string().describe('`detect publish on <host>, process <pid>`'),
        since: z.string(),
        lastHeard: z.string().describe('its lease was last renewed (before an append)'),
        lapsed: z.boolean().describe('not heard for 60 s: it died or hangs; the next publish takes over'),
      })
      .nullable()
      .describe('the publish writing to the stream now (one at a time), or null'),
    watermark: z
      .string()
      .nullable()
      .describe('feeds over HTTP: every active feed has sent up to here (null: none active)'),
    ...FeedTimesSchema,
    feeds: z.array(FeedSchema.extend({ organisationId: z.uuid(), organisation: z.string().nullable() })),
    workers: z.array(
      z.object({
        worker: z.string(),
        partitions: z.array(z.number().int()),
        partitionCount: z
          .number()
          .int()
          .nullable()
          .describe('the partition count its name gives (`p8:…`); null for a worker named otherwise'),
        partitionSpec: z.string().describe('the partitions as `--partitions` takes them: `0-3,6`'),
        command: z.string().describe('the command that runs it again (it resumes from its checkpoint)'),
        gseq: z.number().int().describe('the last entry it processed and saved'),
        behind: z.number().int().describe('entries published after its last checkpoint'),
        mode: z.enum(['snapshot', 'replay']),
        ended: z.boolean(),
        savedAt: z.string(),
        stalled: z.boolean().describe('behind, and no checkpoint for 5 minutes: most likely stopped'),
        missed: z.boolean().describe('entries it has not read are no longer kept'),
        params: z
          .string()
          .nullable()
          .describe(
            'fingerprint of the detector parameters it last checkpointed with (`interdict detect params`)',
          ),
        paramsDiffer: z
          .boolean()
          .describe(
            "the stream's workers checkpointed with different parameters: every worker must run the same file",
          ),
        paramsOffPlatform: z
          .boolean()
          .describe(
            'it checkpointed with other parameters than the platform’s (`platformParams`): citizens are shown limits it does not enforce',
          ),
        retirable: z.boolean().describe('it has ended or not checkpointed for 5 minutes: it may be retired'),
        soleSpec: z
          .string()
          .describe('its partitions no other worker of its split owns: retiring it leaves them without one'),
      }),
    ),
    platformParams: z
      .string()
      .nullable()
      .describe('fingerprint of the platform’s detector parameters (INTERDICT_DETECTOR_PARAMS)'),
    coverage: CoverageSchema,
  })
  .meta({ id: 'RecordStreamStatus' });

const ParametersSchema = z
  .object({
    fingerprint: z.string().describe('as `interdict detect params` and the workers’ checkpoints give it'),
    source: z.enum(['defaults', 'file']).describe('`file`: INTERDICT_DETECTOR_PARAMS sets some'),
    detectors: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .describe('per detector, every parameter: durations as "24h", `cellRegion` as its pattern'),
  })
  .meta({ id: 'DetectorParameters' });

const Measure = z
  .strictObject({
    measure: z.enum(MEASURES),
    target: z
      .enum(['subject', 'holder'])
      .describe('the subject itself, or the holder of the card or account'),
    reason: z.string(),
  })
  .meta({ id: 'RecommendedMeasure' });

const DetectionSchema = z
  .object({
    id: z.uuid(),
    organisationId: z.uuid().nullable().describe('whose data fired it; null: the platform’s own worker'),
    detector: z.enum(DETECTORS),
    subjectKind: z.enum(SUBJECT_KINDS),
    subject: z.string().describe('the number, IMEI or account; for a holder, the masked id number'),
    subjectMasked: z.boolean(),
    score: z.number(),
    window: z.object({ from: z.string(), to: z.string() }).describe('the episode'),
    evidence: z.record(z.string(), z.unknown()).describe('the facts that fired it (docs/detection.md)'),
    measures: z.array(Measure),
    listable: z.boolean().describe('confirming lists the subject in the registry'),
    status: z.enum(DETECTION_STATUSES),
    suppressedBy: z.uuid().nullable().describe('suppressed: the rejected detection it repeats'),
    listingId: z.uuid().nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    decisionReason: z.string().nullable(),
    history: z
      .array(
        z.object({
          id: z.uuid(),
          status: z.enum(DETECTION_STATUSES),
          score: z.number(),
          from: z.string(),
          to: z.string(),
        }),
      )
      .optional()
      .describe('other episodes of the same subject, newest first (detail only)'),
    createdAt: z.string(),
  })
  .meta({ id: 'Detection' });

const Incoming = z
  .strictObject({
    detector: z.enum(DETECTORS),
    subjectKind: z.enum(SUBJECT_KINDS),
    subject: z.string().trim().min(1).max(100),
    score: z.number().min(0).max(1),
    window: z.strictObject({
      from: z.number().int().describe('epoch ms'),
      to: z.number().int().describe('epoch ms'),
    }),
    evidence: z.record(z.string(), z.unknown()).default({}),
  })
  .meta({ id: 'IncomingDetection', description: 'what `interdict detect` writes, one per NDJSON line' });

export function detectionRoutes(app: Api, s: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  // The record stream, opened on first use (a NATS connection is kept; the table costs nothing).
  let stream: Promise<RecordStream> | null = null;
  const recordStream = () => {
    stream ??= openRecordStream(s.config, s.db).catch((err: unknown) => {
      stream = null;
      throw err;
    });
    return stream;
  };
  app.addHook('onClose', async () => {
    if (stream) await (await stream.catch(() => null))?.close();
  });
  ingestRoute(app, s, recordStream);
  // Feeds' staged records whose watermark passed while no upload came (a feed went idle).
  scheduleClaimedJob(app, s, 'detection.merge_feeds', MERGE_EVERY_MS, () => mergeIdleFeeds(s, recordStream));
  streamMetrics(app, async () => recordStreamStatus(s.db, await recordStream(), s.config));
  if (!s.config.natsUrl)
    scheduleClaimedJob(app, s, 'detection.prune_record_stream', PRUNE_EVERY_MS, () =>
      new EmbeddedRecordStream(s.db).prune({ keepMs: s.config.recordStreamKeepMs }),
    );

  r.get(
    '/v1/detection-stream',
    {
      config: { access: streamWatchers },
      schema: {
        tags: ['detection'],
        summary: 'Streaming detection: the record stream and every worker’s progress',
        description:
          'How far the publisher has got, what the stream keeps, and for each worker (by its checkpoint) how ' +
          'far behind it is, whether it has stalled and whether it missed entries the stream no longer keeps.',
        response: { 200: StreamStatusSchema, ...errors },
      },
    },
    async () => recordStreamStatus(s.db, await recordStream(), s.config),
  );

  r.post(
    '/v1/detection-stream/workers/:worker/retire',
    {
      config: { access: { roles: ['administrator'], orgKinds: ['anti_fraud_centre'] } },
      schema: {
        tags: ['detection'],
        summary: 'Retire a worker that no longer runs: delete its checkpoint (audited)',
        description:
          'For a worker taken out of service, or left behind when its partitions moved to workers of other ' +
          'names: its checkpoint would show it stalled for ever, own its partitions twice and hold back the ' +
          'pruning of the embedded stream. Refused (409 `worker_active`) while it has not ended and ' +
          'checkpointed within the last 5 minutes. The answer gives the coverage after it: partitions it ' +
          'leaves without a worker are in `uncovered`.',
        params: z.object({
          worker: z.string().min(1).max(200).describe('its checkpoint’s name, e.g. `p8:0-3`'),
        }),
        body: z.strictObject({
          reason: z.string().trim().min(3).max(1000).describe('why: kept in the audit trail'),
        }),
        response: {
          200: z
            .object({
              retired: z.object({
                worker: z.string(),
                partitions: z.array(z.number().int()),
                gseq: z.number().int().describe('the last entry it had processed'),
                ended: z.boolean(),
                savedAt: z.string().describe('its last checkpoint'),
                params: z.string().nullable(),
              }),
              coverage: CoverageSchema,
            })
            .meta({ id: 'WorkerRetired' }),
          ...errors,
          409: Problem,
        },
      },
    },
    async (req) => {
      const retired = await retireWorker(s.db, principalOf(req), req.params.worker, req.body.reason, {
        requestId: req.id,
      });
      const { coverage } = await recordStreamStatus(s.db, await recordStream(), s.config);
      return { retired, coverage };
    },
  );

  r.post(
    '/v1/detections',
    {
      config: { access: { roles: ['institution_operator', 'administrator'], scope: 'detections:write' } },
      schema: {
        tags: ['detection'],
        summary: "An operator's or bank's detections: stored once per episode, queued for the centre",
        description:
          'Idempotent: a detection already stored for the same detector, subject and episode start is a duplicate. ' +
          'One that repeats the facts of a rejected detection of the same subject is suppressed.',
        body: z.strictObject({ detections: z.array(Incoming).min(1).max(5000) }),
        response: {
          200: z.object({
            stored: z.number().int(),
            duplicates: z.number().int(),
            suppressed: z.number().int(),
            ids: z.array(z.uuid()).describe('the new detections, stored or suppressed'),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      if (p.kind === 'user' && p.organisationKind === 'anti_fraud_centre')
        throw forbidden("detections come from operators' and banks' detectors or the platform's own worker");
      return recordDetections(s, p.organisationId, req.body.detections as Detection[]);
    },
  );

  r.get(
    '/v1/detections',
    {
      config: { access: readers },
      schema: {
        tags: ['detection'],
        summary: 'The review queue: open detections by score; other statuses newest first',
        querystring: z.object({
          status: z.enum(DETECTION_STATUSES).optional().describe('default open'),
          detector: z.enum(DETECTORS).optional(),
          subjectKind: z.enum(SUBJECT_KINDS).optional(),
          subject: z
            .string()
            .trim()
            .min(1)
            .max(100)
            .optional()
            .describe('a number, IMEI, account or holder id number'),
          minScore: z.coerce.number().min(0).max(1).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
          after: z.string().max(200).optional().describe('the `next` of the previous page'),
        }),
        response: {
          200: z.object({ items: z.array(DetectionSchema), next: z.string().nullable() }),
          ...errors,
        },
      },
    },
    async (req) => listDetections(s, principalOf(req), req.query),
  );

  r.get(
    '/v1/detections/summary',
    {
      config: { access: readers },
      schema: {
        tags: ['detection'],
        summary: 'Detections per detector and status',
        response: {
          200: z.object({
            items: z.array(
              z.object({
                detector: z.enum(DETECTORS),
                status: z.enum(DETECTION_STATUSES),
                count: z.number().int(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => ({ items: await detectionSummary(s.db, principalOf(req)) }),
  );

  r.get(
    '/v1/detection-parameters',
    {
      config: { access: readers },
      schema: {
        tags: ['detection'],
        summary: 'The parameters the platform’s detectors run with',
        description:
          'Every detector’s parameters (the defaults, and what the deployment’s parameters file, ' +
          '`INTERDICT_DETECTOR_PARAMS`, sets), written as such a file takes them, and their fingerprint as ' +
          'the streaming workers report it: what the thresholds behind a detection were.',
        response: { 200: ParametersSchema, ...errors },
      },
    },
    async () => {
      const params = configuredParams(s.config);
      return {
        fingerprint: paramsFingerprint(params),
        source: s.config.detectorParamsFile === undefined ? ('defaults' as const) : ('file' as const),
        detectors: describeParams(params),
      };
    },
  );

  r.get(
    '/v1/detections/:id',
    {
      config: { access: readers },
      schema: {
        tags: ['detection'],
        summary: 'One detection with its evidence, measures and the other episodes of its subject',
        params: z.object({ id: z.uuid() }),
        response: { 200: DetectionSchema, ...errors },
      },
    },
    async (req) => getDetection(s, principalOf(req), req.params.id),
  );

  r.post(
    '/v1/detections/:id/decision',
    {
      config: { access: deciders },
      schema: {
        tags: ['detection'],
        summary: 'Confirm (list a number or account; hand the measures to governance) or reject (remembered)',
        params: z.object({ id: z.uuid() }),
        body: z.strictObject({
          decision: z.enum(['confirm', 'reject']),
          reason: z.string().trim().min(1).max(1000),
          category: z
            .enum(SCAM_CATEGORY_LIST as [ScamCategory, ...ScamCategory[]])
            .optional()
            .describe("confirm: list under this category instead of the detector's default"),
        }),
        response: { 200: DetectionSchema, ...errors, 409: Problem },
      },
    },
    async (req) =>
      decideDetection(s, principalOf(req), req.params.id, req.body, { requestId: String(req.id) }),
  );
}

/**
 * The stream's health for Prometheus (`GET /metrics`): alert on `interdict_detection_worker_stalled`,
 * `…_missed`, `interdict_record_stream_publisher_lapsed` and `interdict_record_feed_stuck`, graph `…_behind`. One status per scrape, shared by the gauges; a stream that
 * cannot be read sets `interdict_record_stream_up` to 0, its head and bytes to NaN and no worker series,
 * and /metrics still answers.
 */
type StreamLabel = 'worker' | 'organisation' | 'kind' | 'feed';
type Labels = Partial<Record<StreamLabel, string>>;

function streamMetrics(app: Api, status: () => Promise<RecordStreamStatus>): void {
  const registers = [app.metricsRegistry];
  let scrape: { at: number; p: Promise<RecordStreamStatus | null> } | null = null;
  const current = () => {
    const now = Date.now();
    if (scrape === null || now - scrape.at > 1000) scrape = { at: now, p: status().catch(() => null) };
    return scrape.p;
  };
  const gauge = (
    name: string,
    help: string,
    set: (g: Gauge<StreamLabel>, st: RecordStreamStatus | null, now: number) => void,
    labelNames: StreamLabel[] = [],
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        const st = await current();
        this.reset();
        set(this, st, Date.now());
      },
    });
  gauge('interdict_record_stream_up', 'whether the record stream could be read (1) or not (0)', (g, st) =>
    g.set(st === null ? 0 : 1),
  );
  // A gauge without labels always shows a value: NaN when the stream could not be read, not a
  // head of 0 that looks like an empty stream.
  gauge('interdict_record_stream_head_gseq', 'the last entry published into the record stream', (g, st) =>
    g.set(st ? st.head.gseq : NaN),
  );
  gauge('interdict_record_stream_stored_bytes', 'bytes the record stream keeps', (g, st) =>
    g.set(st ? st.stored.bytes : NaN),
  );
  gauge(
    'interdict_record_stream_publisher_lapsed',
    'a publish holds the record stream but has not been heard for 60 s: it died or hangs (1)',
    (g, st) => g.set(st ? (st.publisher?.lapsed ? 1 : 0) : NaN),
  );
  gauge(
    'interdict_record_stream_staged',
    'records of the feeds over HTTP waiting for the watermark (every feed)',
    (g, st) => g.set(st ? st.feeds.reduce((n, f) => n + f.staged, 0) : NaN),
  );
  gauge(
    'interdict_record_stream_feeds_late',
    'records of the feeds over HTTP dropped because the stream’s clock had passed them (since the feeds began)',
    (g, st) => g.set(st ? st.feeds.reduce((n, f) => n + f.late, 0) : NaN),
  );
  gauge(
    'interdict_record_stream_watermark_lag_seconds',
    'how far the watermark of the feeds over HTTP is behind the latest `through` of an active feed (0: none held back)',
    (g, st) => {
      if (!st) return g.set(NaN);
      const active = st.feeds.filter((f) => !f.idle).map((f) => Date.parse(f.through));
      g.set(
        st.watermark && active.length
          ? Math.max(0, (Math.max(...active) - Date.parse(st.watermark)) / 1000)
          : 0,
      );
    },
  );
  // Holes and overlaps in the workers' split (status.ts, PartitionCoverage): a partition without a
  // worker loses detections without any worker looking unwell.
  gauge(
    'interdict_detection_partitions_uncovered',
    'partitions of the record stream that no worker’s checkpoint owns: their detections are made by no one',
    (g, st) => g.set(st ? st.coverage.uncovered.length : NaN),
  );
  gauge(
    'interdict_detection_partitions_shared',
    'partitions that several workers own: their detections are made twice',
    (g, st) => g.set(st ? st.coverage.shared.length : NaN),
  );
  gauge(
    'interdict_detection_workers_other_split',
    'workers whose checkpoints give another partition count than the last saved one',
    (g, st) => g.set(st ? st.coverage.otherSplit.length : NaN),
  );
  /** One series per row of the status (a feed, a worker), labelled by `labels` of the row. */
  const perRow =
    <T>(rows: (st: RecordStreamStatus) => T[], labelNames: StreamLabel[], labels: (t: T) => Labels) =>
    (name: string, help: string, value: (t: T, now: number) => number) =>
      gauge(
        name,
        help,
        (g, st, now) => {
          for (const t of st ? rows(st) : []) g.set(labels(t), value(t, now));
        },
        labelNames,
      );
  // Per feed, so that an alert names the party: `interdict_record_feed_stuck == 1` for a few minutes
  // pages whoever is on call before the stream has been held back for long.
  const perFeed = perRow(
    (st) => st.feeds,
    ['organisation', 'kind', 'feed'],
    (f) => ({ organisation: f.organisation ?? f.organisationId, kind: f.kind, feed: f.name }),
  );
  perFeed(
    'interdict_record_feed_stuck',
    'a feed over HTTP is heard but its `through` has not moved for INTERDICT_FEED_STUCK_MINUTES (default 10) (1)',
    (f) => (f.stuck ? 1 : 0),
  );
  perFeed(
    'interdict_record_feed_holding',
    'the feed’s `through` is the watermark: the other feeds wait for it (1)',
    (f) => (f.holding ? 1 : 0),
  );
  perFeed(
    'interdict_record_feed_unmoved_seconds',
    'seconds since the feed’s `through` last moved forward',
    (f, now) => Math.max(0, (now - Date.parse(f.movedAt)) / 1000),
  );
  const perWorker = perRow(
    (st) => st.workers,
    ['worker'],
    (w) => ({ worker: w.worker }),
  );
  perWorker(
    'interdict_detection_worker_behind',
    'entries published after the worker’s last checkpoint',
    (w) => w.behind,
  );
  perWorker(
    'interdict_detection_worker_checkpoint_age_seconds',
    'seconds since the worker’s last checkpoint',
    (w, now) => (now - Date.parse(w.savedAt)) / 1000,
  );
  perWorker('interdict_detection_worker_stalled', 'behind with no checkpoint for 5 minutes (1)', (w) =>
    w.stalled ? 1 : 0,
  );
  perWorker('interdict_detection_worker_missed', 'entries it has not read are no longer kept (1)', (w) =>
    w.missed ? 1 : 0,
  );
  perWorker(
    'interdict_detection_worker_params_differ',
    'the stream’s workers run different detector parameters (1)',
    (w) => (w.paramsDiffer ? 1 : 0),
  );
  perWorker(
    'interdict_detection_worker_params_off_platform',
    'the worker runs other detector parameters than the platform’s INTERDICT_DETECTOR_PARAMS (1)',
    (w) => (w.paramsOffPlatform ? 1 : 0),
  );
}
