import crypto from 'node:crypto';
import os from 'node:os';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../core/db/schema.ts';
import { conflict } from '../../core/errors.ts';
import './tables.ts';
import type { RecordStream } from './types.ts';

/**
 * One publisher at a time per record stream (docs/detection.md, "Streaming"). The sequencer numbers
 * entries from the head it read when it started: two publishes at once would both number from the
 * same head, and entries would collide (a failed insert on the embedded stream) or, on NATS, carry
 * the same gseq, which the workers read as one entry, so records would be lost without a word.
 * `detect publish` therefore holds a lease on the stream in the database while it writes, renewed
 * before its appends; a second publish is refused, naming the first.
 */

/** A lease not renewed for this long (ms) is lapsed: its publisher died or hangs, and another may take over. */
export const LEASE_LAPSES_MS = 60_000;
/** A holder renews its lease before an append when this long (ms) has passed since it last did. */
export const LEASE_RENEW_MS = 10_000;

/** The key of a stream in `detection_publishers`. */
export function streamKey(stream: RecordStream & { name?: string }): string {
  return stream.kind === 'nats' ? `nats:${stream.name ?? ''}` : stream.kind;
}

/** Who publishes: for the message a second publisher gets. */
export function publisherName(what = 'detect publish'): string {
  return `${what} on ${os.hostname()}, process ${process.pid}`;
}

export class PublisherLease {
  private renewedAt = Date.now();

  constructor(
    private readonly db: Kysely<DB>,
    readonly stream: string,
    readonly token: string,
    private readonly renewMs = LEASE_RENEW_MS,
  ) {}

  /**
   * Before an append: renews the lease when due, and throws when it was lost (it lapsed while
   * this publisher was stalled, and another took the stream over): appending then would collide.
   */
  async check(): Promise<void> {
    if (Date.now() - this.renewedAt < this.renewMs) return;
    const r = await this.db
      .updateTable('detection_publishers')
      .set({ renewed_at: sql<Date>`now()` })
      .where('stream', '=', this.stream)
      .where('token', '=', this.token)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0)
      throw conflict(
        'publisher_lease_lost',
        `this publish lost its hold on the ${this.stream} record stream (not renewed for ` +
          `${LEASE_LAPSES_MS / 1000} s, and another publish took it over): stopped before writing more; ` +
          'what was written is in the stream, so run it again once the other has ended',
      );
    this.renewedAt = Date.now();
  }

  /** Lets go of the stream (a lease already taken over is left to its new holder). */
  async release(): Promise<void> {
    await this.db
      .deleteFrom('detection_publishers')
      .where('stream', '=', this.stream)
      .where('token', '=', this.token)
      .execute();
  }
}

/** How often a publisher waiting for the lease (`waitMs`) tries again. */
const RETRY_MS = 1000;

/**
 * Takes the stream's publisher lease: at once when no one holds it or its holder's lease has
 * lapsed (`lapsesMs` without renewal, by the database's clock, so hosts' clocks do not matter);
 * otherwise, after trying again for up to `waitMs` (calling `onWait` once with the holder's
 * message), a 409 `publisher_busy` naming the holder.
 */
export async function acquirePublisher(
  db: Kysely<DB>,
  stream: string,
  holder: string,
  opts: { lapsesMs?: number; renewMs?: number; waitMs?: number; onWait?: (busy: string) => void } = {},
): Promise<PublisherLease> {
  const deadline = Date.now() + (opts.waitMs ?? 0);
  for (let waited = false; ; waited = true) {
    try {
      return await tryAcquire(db, stream, holder, opts);
    } catch (err) {
      const left = deadline - Date.now();
      if ((err as { code?: string }).code !== 'publisher_busy' || left <= 0) throw err;
      if (!waited) opts.onWait?.((err as Error).message);
      await new Promise((r) => setTimeout(r, Math.min(RETRY_MS, left)));
    }
  }
}

async function tryAcquire(
  db: Kysely<DB>,
  stream: string,
  holder: string,
  opts: { lapsesMs?: number; renewMs?: number },
): Promise<PublisherLease> {
  const lapsesMs = opts.lapsesMs ?? LEASE_LAPSES_MS;
  const token = crypto.randomUUID();
  const r = await sql<{ token: string }>`
    insert into detection_publishers (stream, holder, token)
    values (${stream}, ${holder}, ${token})
    on conflict (stream) do update
      set holder = excluded.holder, token = excluded.token, acquired_at = now(), renewed_at = now()
      where detection_publishers.renewed_at < now() - ${lapsesMs}::int * interval '1 millisecond'
    returning token`.execute(db);
  if (r.rows.length === 0) {
    const held = await db
      .selectFrom('detection_publishers')
      .select(['holder', 'acquired_at', 'renewed_at'])
      .where('stream', '=', stream)
      .executeTakeFirst();
    throw conflict(
      'publisher_busy',
      held
        ? `another publish is writing to the ${stream} record stream (${held.holder}, since ` +
            `${new Date(held.acquired_at).toISOString()}, last heard ${new Date(held.renewed_at).toISOString()}): ` +
            `one publisher at a time; wait for it to end (or, if it died, ${lapsesMs / 1000} s after it was last heard)`
        : `another publish was writing to the ${stream} record stream a moment ago: run this again`,
    );
  }
  return new PublisherLease(db, stream, token, opts.renewMs);
}
