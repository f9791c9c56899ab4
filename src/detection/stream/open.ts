import type { Kysely } from 'kysely';
import type { Config } from '../../core/config.ts';
import type { DB } from '../../core/db/schema.ts';
import { EmbeddedRecordStream } from './embedded.ts';
import { NatsRecordStream } from './nats.ts';
import { DEFAULT_PARTITIONS, type RecordStream } from './types.ts';

/**
 * The platform's record stream: NATS JetStream (`<NATS_STREAM>_RECORDS`) when NATS_URL is set,
 * else the embedded table. Records are kept `recordStreamKeepMs` (JetStream's age limit; the
 * embedded stream is pruned to it, docs/detection.md "Retention").
 */
export async function openRecordStream(
  config: Pick<Config, 'natsUrl' | 'natsStream' | 'recordStreamKeepMs'>,
  db: Kysely<DB>,
  /** Undefined: whatever the stream has (to watch it, not to publish or work on it). */
  partitions?: number,
): Promise<RecordStream> {
  if (config.natsUrl)
    return NatsRecordStream.open({
      natsUrl: config.natsUrl,
      natsStream: config.natsStream,
      ...(partitions !== undefined && { partitions }),
      maxAgeMs: config.recordStreamKeepMs,
    });
  const s = new EmbeddedRecordStream(db, partitions ?? DEFAULT_PARTITIONS);
  if (partitions === undefined) return s;
  await s.checkPartitions();
  return s;
}
