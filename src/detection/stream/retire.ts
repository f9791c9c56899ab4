import type { Kysely } from 'kysely';
import type { DB } from '../../core/db/schema.ts';
import { audit, type Actor } from '../../core/audit.ts';
import { AppError } from '../../core/errors.ts';
import { STALLED_AFTER_MS } from './status.ts';
import './tables.ts';

/** What a retired worker's checkpoint held, as the audit trail and the answer give it. */
export interface RetiredWorker {
  worker: string;
  partitions: number[];
  gseq: number;
  ended: boolean;
  savedAt: string;
  params: string | null;
}

/**
 * Retires a worker that no longer runs: deletes its checkpoint, with `reason` in the audit trail
 * (in the same transaction). A checkpoint outlives its worker: after the partitions moved to
 * other workers (new names) or a worker was taken out of service, the old one would show as
 * stalled for ever, own its partitions a second time, and hold the embedded stream's pruning back.
 *
 * Refused (409 `worker_active`) while the worker looks alive: not ended and checkpointed within
 * `STALLED_AFTER_MS`. A worker that was running all the same (idle, so not checkpointing) saves
 * its checkpoint again at its next save and carries on; nothing it holds is lost. A worker started
 * again under a retired name starts afresh, as a new one would (replay; its detections were stored
 * already, and are stored once).
 */
export async function retireWorker(
  db: Kysely<DB>,
  p: Actor,
  worker: string,
  reason: string,
  opts: { now?: number; requestId?: string } = {},
): Promise<RetiredWorker> {
  const now = opts.now ?? Date.now();
  return db.transaction().execute(async (trx) => {
    const alive = new Date(now - STALLED_AFTER_MS);
    const r = await trx
      .deleteFrom('detection_checkpoints')
      .where('worker', '=', worker)
      .where((eb) => eb.or([eb('ended', '=', true), eb('saved_at', '<', alive)]))
      .returning(['worker', 'partitions', 'gseq', 'ended', 'saved_at', 'params'])
      .executeTakeFirst();
    if (!r) {
      const kept = await trx
        .selectFrom('detection_checkpoints')
        .select('saved_at')
        .where('worker', '=', worker)
        .executeTakeFirst();
      if (!kept) throw new AppError(404, 'not_found', `no worker ${worker} has a checkpoint`);
      const seconds = Math.max(0, Math.round((now - new Date(kept.saved_at).getTime()) / 1000));
      throw new AppError(
        409,
        'worker_active',
        `worker ${worker} checkpointed ${seconds} s ago: it looks alive. Stop it first (SIGTERM); ` +
          `it can be retired once it has ended or ${STALLED_AFTER_MS / 60_000} minutes after its last checkpoint`,
      );
    }
    const retired: RetiredWorker = {
      worker: r.worker,
      partitions: r.partitions === '' ? [] : r.partitions.split(',').map(Number),
      gseq: Number(r.gseq),
      ended: r.ended,
      savedAt: new Date(r.saved_at).toISOString(),
      params: r.params,
    };
    await audit(
      trx,
      p,
      {
        action: 'detection_worker.retire',
        targetKind: 'detection_worker',
        targetId: worker,
        details: { reason, ...retired },
      },
      opts.requestId,
    );
    return retired;
  });
}
