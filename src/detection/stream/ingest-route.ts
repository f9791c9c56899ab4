import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Api, Services } from '../../api/types.ts';
import { principalOf } from '../../api/access.ts';
import { Problem } from '../../api/problem.ts';
import { audit } from '../../core/audit.ts';
import { AppError, badRequest, forbidden } from '../../core/errors.ts';
import type { Format } from '../parse.ts';
import { INGEST_KINDS, INGEST_MAX_BYTES, ingestRecords, REJECTS_LISTED, SENDERS } from './ingest.ts';
import {
  FEED_IDLE_MS,
  FEED_STUCK_MS,
  feedStatus,
  mergeFeeds,
  pruneUploads,
  releaseFeed,
  watermark,
  type FeedKey,
  type MergeResult,
} from './feeds.ts';
import type { Principal } from '../../identity/model.ts';
import { acquirePublisher, publisherName, streamKey } from './publisher.ts';
import type { RecordStream } from './types.ts';

/** How long an upload waits for another to finish writing by default (s): parties send at the same times. */
const DEFAULT_WAIT_S = 30;

const MEDIA_TYPES: Record<string, Format> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
};

/** What a merge of the feeds did. */
const MergeSchema = z.object({
  published: z.number().int().describe('appended to the stream, from every feed'),
  already: z
    .number()
    .int()
    .describe('skipped: the stream held them since its last tick (or a merge that died had appended them)'),
  late: z.number().int().describe('dropped: the stream’s clock had passed them'),
  through: z
    .string()
    .nullable()
    .describe('the watermark: every active feed has sent up to here; null when none is active'),
  waiting: z.number().int().describe('still staged, after the watermark (every feed)'),
});

const IngestResultSchema = z
  .object({
    kind: z.enum(INGEST_KINDS),
    feed: z
      .string()
      .nullable()
      .describe('the feed it came by (calls and transactions); null for cards and accounts'),
    repeated: z
      .boolean()
      .describe('the same body was taken before by this feed: the answer given then; nothing was added'),
    rows: z.number().int().describe('rows read (not the header): accepted, already there and rejected'),
    accepted: z
      .number()
      .int()
      .describe('taken: calls and transactions staged (durable), cards and accounts published'),
    already: z
      .number()
      .int()
      .describe(
        'skipped: in the stream since its last tick, or staged already (the same records sent again)',
      ),
    rejected: z.object({
      total: z.number().int(),
      beforeLastTick: z
        .number()
        .int()
        .describe('from before the stream’s last tick: published already, or too late'),
      bad: z.number().int().describe('bad numbers, times, amounts or columns'),
      first: z
        .array(z.object({ line: z.number().int(), reason: z.string() }))
        .describe(`the first ${REJECTS_LISTED}, by line of the upload (a CSV header is line 1)`),
    }),
    merge: MergeSchema.nullable().describe(
      'the merge after a calls or transactions upload: it moves every feed’s records up to the watermark',
    ),
    stream: z.object({
      kind: z.string(),
      partitions: z.number().int(),
      gseq: z.number().int().describe('the stream’s head after this upload'),
    }),
  })
  .meta({ id: 'RecordUploadResult' });

/** `10 minutes`: a duration in the API's descriptions and the CLI's words. */
export function minutes(ms: number): string {
  return `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}`;
}

/** The centre's settings that say when a feed is idle and when stuck, in both statuses. */
export const FeedTimesSchema = {
  feedIdleMs: z
    .number()
    .int()
    .describe(
      `a feed not heard for this long is idle and holds the watermark back no more (INTERDICT_FEED_IDLE_MINUTES, ${minutes(FEED_IDLE_MS)} unless set)`,
    ),
  feedStuckMs: z
    .number()
    .int()
    .describe(
      `a heard feed whose \`through\` has not moved for this long is stuck (INTERDICT_FEED_STUCK_MINUTES, ${minutes(FEED_STUCK_MS)} unless set)`,
    ),
};

/** A record feed as its sender sees it; the centre's status adds whose it is. */
export const FeedSchema = z.object({
  kind: z.enum(['calls', 'transactions']),
  name: z.string(),
  through: z.string().describe('it has sent everything before this time'),
  heardAt: z.string(),
  movedAt: z.string().describe('when its `through` last moved forward'),
  idle: z.boolean().describe('not heard for `feedIdleMs`: it no longer holds the watermark back'),
  stuck: z
    .boolean()
    .describe(
      'heard, but its `through` has not moved for `feedStuckMs` (a stuck clock, a re-sent file); while it holds ' +
        'the watermark, nothing goes into the stream',
    ),
  staged: z.number().int().describe('its records waiting for the watermark'),
  late: z.number().int().describe('its records dropped: the stream’s clock had passed them'),
  released: z
    .boolean()
    .describe('let go: it holds the watermark back no more until it has caught up with the others'),
  holding: z.boolean().describe('its `through` is the watermark: the other feeds wait for it'),
});

const FeedsSchema = z
  .object({
    lastTickAt: z.string().nullable().describe('stream time of the record stream’s last tick'),
    watermark: z.string().nullable().describe('every active feed has sent up to here; null: none active'),
    heldByOthers: z.boolean().describe('another party’s feed is the one the others wait for'),
    ...FeedTimesSchema,
    feeds: z.array(FeedSchema),
  })
  .meta({ id: 'OwnFeeds' });

/** `GET /v1/detection-stream/feeds`: a sender's own feeds (`interdict detect feeds` reads it). */
export type OwnFeeds = z.infer<typeof FeedsSchema>;

/**
 * `POST /v1/detection-stream/records`: an operator's or bank's own system sends its records into
 * the record stream the platform's detection workers read (stream/ingest.ts). The body is saved
 * whole before anything is published, so a broken upload adds nothing; it is sent as is (CSV or
 * NDJSON), never parsed into memory by the framework.
 */
export function ingestRoute(app: Api, s: Services, recordStream: () => Promise<RecordStream>): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/detection-stream/feeds',
    {
      config: {
        access: { roles: ['institution_operator', 'administrator'], scope: 'records:write' },
      },
      schema: {
        tags: ['detection'],
        summary: 'Your feeds into the record stream: what waits, what came too late, who holds it back',
        description:
          'For the sending system on call: each of your organisation’s feeds (its `through`, when it was last ' +
          'heard, its records waiting for the watermark and those dropped as too late), the watermark and the ' +
          'stream’s last tick. Whether another party’s feed holds yours back is said, not which one.',
        response: { 200: FeedsSchema, 401: Problem, 403: Problem },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const stream = await recordStream();
      const head = await stream.head();
      const now = Date.now();
      const { feeds, watermark: mark } = await feedStatus(s.db, head.lastTickAt, now, s.config);
      const own = feeds.filter((f) => f.organisationId === p.organisationId);
      return {
        lastTickAt: head.lastTickAt === null ? null : new Date(head.lastTickAt).toISOString(),
        watermark: mark === Infinity ? null : new Date(mark).toISOString(),
        heldByOthers: feeds.some((f) => f.holding && f.organisationId !== p.organisationId),
        feedIdleMs: s.config.feedIdleMs,
        feedStuckMs: s.config.feedStuckMs,
        feeds: own.map((f) => ({
          kind: f.kind,
          name: f.name,
          through: new Date(f.through).toISOString(),
          heardAt: f.heardAt.toISOString(),
          movedAt: f.movedAt.toISOString(),
          idle: f.idle,
          stuck: f.stuck,
          staged: f.staged,
          late: f.late,
          released: f.released,
          holding: f.holding,
        })),
      };
    },
  );

  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/detection-stream/feeds/release',
    {
      config: {
        access: { roles: ['institution_operator', 'administrator'], scope: 'records:write' },
      },
      schema: {
        tags: ['detection'],
        summary: 'Let the other feeds go on without a feed that holds them back',
        description:
          'A feed whose clock is stuck, or whose system is down but still sends heartbeats, holds every party’s ' +
          'records back (the watermark is its `through`). Released, it holds the watermark back no more until ' +
          'its `through` has caught up with the others; its records for times the stream passes meanwhile are ' +
          'refused as too late when they come, and nothing staged is lost. The records waiting go in at once ' +
          '(unless another publisher holds the stream: then within 30 s). The centre’s administrators may ' +
          'release any feed, a sending organisation its own. Audited with the reason.',
        body: z.strictObject({
          organisationId: z.uuid().optional().describe('whose feed (default: your own organisation)'),
          kind: z.enum(['calls', 'transactions']),
          name: z.string().min(1).max(40).describe('the feed’s name (`main` unless several systems send)'),
          reason: z.string().trim().min(3).max(500).describe('why: kept in the audit trail'),
        }),
        response: {
          200: z
            .object({
              watermark: z.string().nullable().describe('the watermark now; null when no feed holds it'),
              merge: MergeSchema.nullable().describe('the merge run at once; null when the stream was held'),
            })
            .meta({ id: 'FeedRelease' }),
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const centreAdmin =
        p.kind === 'user' && p.organisationKind === 'anti_fraud_centre' && p.roles.includes('administrator');
      const organisationId = req.body.organisationId ?? p.organisationId;
      if (!centreAdmin && organisationId !== p.organisationId)
        throw forbidden('a feed is released by its own organisation or by the centre’s administrators');
      return releaseFeedNow(
        s,
        p,
        { organisationId, kind: req.body.kind, name: req.body.name },
        req.body.reason,
        recordStream,
        req.id,
      );
    },
  );

  void app.register(async (plain) => {
    const r = plain.withTypeProvider<ZodTypeProvider>();
    // The body is the file itself: every media type reaches the handler as the raw request, which
    // answers 415 for the ones it does not take (the default answer names JSON only).
    r.removeAllContentTypeParsers();
    r.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    r.post(
      '/v1/detection-stream/records',
      {
        config: {
          access: { roles: ['institution_operator', 'administrator'], scope: 'records:write' },
        },
        schema: {
          tags: ['detection'],
          summary: 'Send call records, transactions, cards or accounts into the record stream',
          description:
            'The body is a file of one kind of record (docs/formats.md), as `text/csv` with its header or ' +
            '`application/x-ndjson`, optionally with `Content-Encoding: gzip`, up to 256 MiB uncompressed. ' +
            'Operators send calls and cards, banks and payment institutions transactions and accounts (API key ' +
            'scope `records:write`). Bad rows are listed with line and reason and every good row is taken. Cards ' +
            'and accounts go into the stream at once. Calls and transactions come by a feed (`feed`, default ' +
            '`main`): they are put in time order within `maxLateness`, staged, and merged into the stream once ' +
            'every active feed has sent up to their time (the watermark; a feed not heard for ' +
            'INTERDICT_FEED_IDLE_MINUTES, 10 unless set, stops holding it back); `through` says the feed has sent everything before that time (a body of the header ' +
            'alone is a heartbeat). Rows from before the stream’s last tick are refused as too late; records the ' +
            'stream or the feed’s stage holds already are skipped, and the same body sent again gets the first ' +
            'answer (`repeated`), so a retry after a timeout adds nothing twice. One publisher at a time: the ' +
            'upload waits up to `wait` seconds for another upload or `detect publish`, then answers 409 ' +
            '`publisher_busy`.',
          querystring: z.object({
            kind: z.enum(INGEST_KINDS),
            feed: z
              .string()
              .regex(
                /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/,
                'letters, digits, dot, dash and underscore, up to 40',
              )
              .optional()
              .describe(
                'the sending system, when several of one organisation send the same kind (default main)',
              ),
            through: z.iso
              .datetime({ offset: true })
              .optional()
              .describe('the feed has sent everything before this time (ISO 8601 with offset)'),
            wait: z.coerce
              .number()
              .int()
              .min(0)
              .max(120)
              .optional()
              .describe('seconds to wait while another upload or publish writes (default 30)'),
            maxLateness: z.coerce
              .number()
              .int()
              .min(0)
              .max(86_400)
              .optional()
              .describe('seconds a record may come after later ones and still be put in order (default 300)'),
          }),
          response: {
            200: IngestResultSchema,
            400: Problem,
            401: Problem,
            403: Problem,
            409: Problem,
            413: Problem,
            415: Problem,
          },
        },
      },
      async (req) => {
        const p = principalOf(req);
        const { kind } = req.query;
        const senders = SENDERS[kind];
        const centreAdmin =
          p.kind === 'user' &&
          p.organisationKind === 'anti_fraud_centre' &&
          p.roles.includes('administrator');
        if (!centreAdmin && !senders.includes(p.organisationKind))
          throw forbidden(
            `${kind} come from ${senders.map((k) => k.replace('_', ' ') + 's').join(' and ')} (or the centre’s administrators)`,
          );
        const type = String(req.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim()
          .toLowerCase();
        const format = MEDIA_TYPES[type];
        if (format === undefined)
          throw new AppError(
            415,
            'unsupported_media_type',
            `send the records as text/csv (with a header) or application/x-ndjson, not ${type || 'no Content-Type'}`,
          );
        const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
        if (encoding !== 'identity' && encoding !== 'gzip')
          throw new AppError(
            415,
            'unsupported_media_type',
            `Content-Encoding ${encoding}: send gzip or none`,
          );
        const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'interdict-upload-'));
        try {
          const file = path.join(dir, `records.${format}`);
          await saveBody(req.body as Readable, file, encoding === 'gzip');
          const stream = await recordStream();
          const result = await ingestRecords(stream, s.db, file, kind, {
            format,
            holder: publisherName(`upload by ${p.kind === 'api_key' ? 'API key' : 'user'} ${p.name}`),
            organisationId: p.organisationId,
            ...(req.query.feed !== undefined && { feed: req.query.feed }),
            ...(req.query.through !== undefined && { through: Date.parse(req.query.through) }),
            pii: s.pii,
            waitMs: (req.query.wait ?? DEFAULT_WAIT_S) * 1000,
            latenessMs: (req.query.maxLateness ?? 300) * 1000,
            idleMs: s.config.feedIdleMs,
          });
          // Counts only: the rows are personal data and stay in the stream.
          await audit(
            s.db,
            p,
            {
              action: 'record_stream.upload',
              targetKind: 'record_stream',
              targetId: streamKey(stream),
              details: {
                kind,
                format,
                feed: result.feed,
                repeated: result.repeated,
                rows: result.rows,
                accepted: result.accepted,
                already: result.already,
                rejected: result.rejected.total,
                gseq: result.stream.gseq,
              },
            },
            req.id,
          );
          return { ...result, merge: result.merge && mergeAnswer(result.merge) };
        } finally {
          await fs.promises.rm(dir, { recursive: true, force: true });
        }
      },
    );
  });
}

/**
 * Releases feed `key` (feeds.ts `releaseFeed`) for `p` with `reason` (audited), then merges what
 * waited, unless another publisher holds the stream (the timer merges it then). For the API and
 * `interdict detect release-feed`; who may release is the caller's to check.
 */
export async function releaseFeedNow(
  s: Services,
  p: Principal,
  key: FeedKey,
  reason: string,
  recordStream: () => Promise<RecordStream>,
  requestId?: string,
): Promise<{
  watermark: string | null;
  merge: (Omit<MergeResult, 'through'> & { through: string | null }) | null;
}> {
  if (!(await releaseFeed(s.db, key)))
    throw new AppError(404, 'not_found', `no ${key.kind} feed ${key.name} of that organisation`);
  await audit(
    s.db,
    p,
    {
      action: 'record_feed.release',
      targetKind: 'record_feed',
      targetId: `${key.organisationId}/${key.kind}/${key.name}`,
      details: { reason },
    },
    requestId,
  );
  const merged = await mergeIdleFeeds(s, recordStream);
  const head = await (await recordStream()).head();
  const mark = await watermark(s.db, head.lastTickAt, Date.now(), s.config.feedIdleMs);
  return {
    watermark: mark === Infinity ? null : new Date(mark).toISOString(),
    merge: 'skipped' in merged ? null : mergeAnswer(merged),
  };
}

/** A merge's result as the API answers it: the watermark as ISO 8601. */
function mergeAnswer(m: MergeResult): Omit<MergeResult, 'through'> & { through: string | null } {
  return { ...m, through: m.through === null ? null : new Date(m.through).toISOString() };
}

/**
 * The merge the feeds' uploads do, run on a timer: once a feed has gone idle, the records the
 * others staged after its `through` are held back no longer. Skipped while another holds the stream.
 */
export async function mergeIdleFeeds(
  s: Services,
  recordStream: () => Promise<RecordStream>,
): Promise<MergeResult | { skipped: string }> {
  await pruneUploads(s.db);
  const any = await s.db.selectFrom('detection_staged').select('id').limit(1).executeTakeFirst();
  if (!any) return { skipped: 'nothing staged' };
  const stream = await recordStream();
  let lease;
  try {
    lease = await acquirePublisher(s.db, streamKey(stream), publisherName('feed merge'));
  } catch (err) {
    if ((err as { code?: string }).code === 'publisher_busy') return { skipped: 'the stream is held' };
    throw err;
  }
  try {
    return await mergeFeeds(s.db, stream, { lease, pii: s.pii, idleMs: s.config.feedIdleMs });
  } finally {
    await lease.release();
  }
}

/** Writes the request body to `file`, decompressed, refusing more than `INGEST_MAX_BYTES`. */
async function saveBody(body: Readable, file: string, gzip: boolean): Promise<void> {
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > INGEST_MAX_BYTES)
        done(
          new AppError(
            413,
            'body_too_large',
            `an upload holds at most ${INGEST_MAX_BYTES / 1024 / 1024} MiB uncompressed: send it in parts`,
          ),
        );
      else done(null, chunk);
    },
  });
  const out = fs.createWriteStream(file);
  try {
    if (gzip) await pipeline(body, zlib.createGunzip(), limit, out);
    else await pipeline(body, limit, out);
  } catch (err) {
    if (err instanceof AppError) throw err;
    if ((err as { code?: string }).code?.startsWith('Z_'))
      throw badRequest('bad_encoding', 'the body is not valid gzip (Content-Encoding: gzip)');
    throw err;
  }
}
