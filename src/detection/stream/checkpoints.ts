import type { Kysely } from 'kysely';
import type { DB } from '../../core/db/schema.ts';
import { piiContext, type PiiCipher } from '../../privacy/crypto.ts';
import { registerEncryptedTable } from '../../privacy/rotate.ts';
import './tables.ts';

// A snapshot holds personal data (holders' id numbers key potential_victim's state; cards and
// accounts name their holders): encrypted at rest like every other personal field, and re-encrypted
// by key rotation (docs/privacy.md).
registerEncryptedTable({
  table: 'detection_checkpoints',
  idColumn: 'worker',
  keyIdColumn: 'state_key',
  columns: ['state'],
});

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
  /** `paramsFingerprint` of the detectors' parameters (null: not known). */
  params?: string | null;
  /**
   * Set by `load` when a saved snapshot could not be read (its key is no longer configured, or it
   * fails authentication); `state` is then null and the worker rebuilds by replay.
   */
  stateError?: string;
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

/**
 * Checkpoints in `detection_checkpoints` (one row per worker, replaced at each save). The state is
 * encrypted under the active personal-data key (AES-256-GCM, bound to the worker's row); a row
 * saved before states were encrypted (`state_key` null) is read as it is and encrypted at the
 * worker's next save.
 */
export class DbCheckpointStore implements CheckpointStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly pii: PiiCipher,
  ) {}

  async load(worker: string): Promise<Checkpoint | null> {
    const r = await this.db
      .selectFrom('detection_checkpoints')
      .selectAll()
      .where('worker', '=', worker)
      .executeTakeFirst();
    if (!r) return null;
    const cp: Checkpoint = {
      worker: r.worker,
      partitions: r.partitions === '' ? [] : r.partitions.split(',').map(Number),
      cursor: Number(r.cursor),
      gseq: Number(r.gseq),
      ended: r.ended,
      state: r.state,
      params: r.params,
    };
    if (r.state !== null && r.state_key !== null) {
      try {
        cp.state = this.pii.decryptBytes(r.state_key, r.state, stateContext(worker));
      } catch (err) {
        // Only the key id and the reason: never key material or state.
        cp.state = null;
        cp.stateError = `the saved state cannot be decrypted (${(err as Error).message})`;
      }
    }
    return cp;
  }

  async save(cp: Checkpoint): Promise<void> {
    const enc = cp.state === null ? null : this.pii.encryptBytes(cp.state, stateContext(cp.worker));
    const row = {
      worker: cp.worker,
      partitions: cp.partitions.join(','),
      cursor: cp.cursor,
      gseq: cp.gseq,
      ended: cp.ended,
      state: enc === null ? null : enc.ciphertext,
      state_key: enc === null ? null : enc.keyId,
      params: cp.params ?? null,
      saved_at: new Date(),
    };
    await this.db
      .insertInto('detection_checkpoints')
      .values(row)
      .onConflict((oc) => oc.column('worker').doUpdateSet(row))
      .execute();
  }
}

function stateContext(worker: string): string {
  return piiContext('detection_checkpoints', 'state', worker);
}
