import type { Kysely } from 'kysely';
import type { DB } from '../../core/db/schema.ts';
import './tables.ts';

/** A worker's saved position and (in snapshot mode) detector state. */
export interface Checkpoint {
  worker: string;
  partitions: number[];
  /** Backend position to read after (0 in replay mode: the worker rebuilds from the start). */
  cursor: number;
  /** Last gseq processed; detections drained up to it were delivered. */
  gseq: number;
  ended: boolean;
  state: Uint8Array | null;
}

export interface CheckpointStore {
  load(worker: string): Promise<Checkpoint | null>;
  save(cp: Checkpoint): Promise<void>;
}

export class MemoryCheckpointStore implements CheckpointStore {
  readonly saved = new Map<string, Checkpoint>();
  async load(worker: string): Promise<Checkpoint | null> {
    return this.saved.get(worker) ?? null;
  }
  async save(cp: Checkpoint): Promise<void> {
    this.saved.set(cp.worker, { ...cp, partitions: [...cp.partitions] });
  }
}

/** Checkpoints in `detection_checkpoints` (one row per worker, replaced at each save). */
export class DbCheckpointStore implements CheckpointStore {
  constructor(private readonly db: Kysely<DB>) {}

  async load(worker: string): Promise<Checkpoint | null> {
    const r = await this.db
      .selectFrom('detection_checkpoints')
      .selectAll()
      .where('worker', '=', worker)
      .executeTakeFirst();
    if (!r) return null;
    return {
      worker: r.worker,
      partitions: r.partitions === '' ? [] : r.partitions.split(',').map(Number),
      cursor: Number(r.cursor),
      gseq: Number(r.gseq),
      ended: r.ended,
      state: r.state,
    };
  }

  async save(cp: Checkpoint): Promise<void> {
    const row = {
      worker: cp.worker,
      partitions: cp.partitions.join(','),
      cursor: cp.cursor,
      gseq: cp.gseq,
      ended: cp.ended,
      state: cp.state === null ? null : Buffer.from(cp.state),
      saved_at: new Date(),
    };
    await this.db
      .insertInto('detection_checkpoints')
      .values(row)
      .onConflict((oc) => oc.column('worker').doUpdateSet(row))
      .execute();
  }
}
