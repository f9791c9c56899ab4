import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql, type ColumnType, type Generated, type Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { Migrations } from '../db/migrate.ts';
import { AppError } from '../errors.ts';
import { checkFile, detectFormat, readRows, type FileFormat } from './read.ts';

/**
 * Bulk imports: idempotent and resumable. A file is known by its SHA-256; each batch commits
 * its rows together with the run's position, so a crash loses at most the batch in flight and a
 * rerun continues after the last committed line. A finished file imported again does nothing.
 * Bad rows go to a reject file (line, reason, record) and never stop the good ones.
 */
export interface ImportRunsTable {
  id: string;
  kind: string;
  file_name: string;
  file_sha256: string;
  status: 'running' | 'done';
  committed_line: number;
  accepted: number;
  rejected: number;
  started_at: Generated<ColumnType<Date, never, never>>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  finished_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

declare module '../db/schema.ts' {
  interface DB {
    import_runs: ImportRunsTable;
  }
}

export const importMigrations: Migrations = {
  '0001_core_import_runs': {
    async up(db) {
      await sql`
        create table import_runs (
          id uuid primary key,
          kind text not null,
          file_name text not null,
          file_sha256 text not null,
          status text not null check (status in ('running', 'done')),
          committed_line bigint not null default 0,
          accepted bigint not null default 0,
          rejected bigint not null default 0,
          started_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          finished_at timestamptz,
          unique (kind, file_sha256)
        )`.execute(db);
    },
  },
};

export type Prepared<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ImportSpec<T> {
  kind: string;
  /** Columns a file must have; others are kept by the spec or ignored, never rejected. */
  required: readonly string[];
  prepare(record: Record<string, string>): Prepared<T>;
  /** Writes one row inside the batch's transaction; throws (AppError) to reject it. */
  write(tx: Kysely<DB>, value: T): Promise<void>;
  /** Writes a whole batch at once (multi-row statements); when it fails, rows are retried one by one with `write`. */
  writeBatch?(tx: Kysely<DB>, values: T[]): Promise<void>;
}

export interface ImportOptions {
  file: string;
  format?: string;
  batchSize?: number;
  /** Where rejected rows go; default `<file>.rejects.ndjson`. */
  rejectFile?: string;
  onProgress?(p: { line: number; accepted: number; rejected: number; bytesRead?: number }): void;
}

export interface ImportResult {
  runId: string;
  kind: string;
  file: string;
  format: FileFormat;
  status: 'done' | 'already_imported';
  accepted: number;
  rejected: number;
  /** Lines skipped because an earlier, interrupted run had committed them. */
  resumedAfterLine: number;
  rejectFile: string | null;
}

export async function fileSha256(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function runImport<T>(
  db: Kysely<DB>,
  spec: ImportSpec<T>,
  opts: ImportOptions,
): Promise<ImportResult> {
  const format = detectFormat(opts.file, opts.format);
  await checkFile(opts.file, format, spec.required);
  const sha = await fileSha256(opts.file);
  const batchSize = Math.max(1, opts.batchSize ?? 500);
  const rejectPath = opts.rejectFile ?? `${opts.file}.rejects.ndjson`;

  let run = await db
    .selectFrom('import_runs')
    .selectAll()
    .where('kind', '=', spec.kind)
    .where('file_sha256', '=', sha)
    .executeTakeFirst();
  if (run?.status === 'done') {
    return {
      runId: run.id,
      kind: spec.kind,
      file: opts.file,
      format,
      status: 'already_imported',
      accepted: Number(run.accepted),
      rejected: Number(run.rejected),
      resumedAfterLine: Number(run.committed_line),
      rejectFile: null,
    };
  }
  if (!run) {
    const id = crypto.randomUUID();
    await db
      .insertInto('import_runs')
      .values({
        id,
        kind: spec.kind,
        file_name: path.basename(opts.file),
        file_sha256: sha,
        status: 'running',
        committed_line: 0,
        accepted: 0,
        rejected: 0,
        updated_at: new Date(),
        finished_at: null,
      })
      .execute();
    run = await db.selectFrom('import_runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    if (fs.existsSync(rejectPath)) fs.unlinkSync(rejectPath); // a stale report from another file
  }
  const runId = run.id;
  const resumeAfter = Number(run.committed_line);
  let accepted = Number(run.accepted);
  let rejected = Number(run.rejected);
  const rejects = fs.createWriteStream(rejectPath, { flags: 'a' });
  // Rejects of a batch reach the report only after the batch commits, so a crash and a resume
  // never list a line twice.
  let pending: string[] = [];
  const reject = (line: number, reason: string, record?: unknown) => {
    rejected++;
    pending.push(JSON.stringify({ line, reason, record }) + '\n');
  };
  const writeRejects = () => {
    for (const l of pending) rejects.write(l);
    pending = [];
  };

  let batch: { line: number; value: T; record: Record<string, string> }[] = [];
  let lastLine = resumeAfter;

  const flush = async (uptoLine: number) => {
    const rows = batch;
    batch = [];
    let batchAccepted = 0;
    const failed: { line: number; reason: string; record: Record<string, string> }[] = [];
    try {
      await db.transaction().execute(async (tx) => {
        if (spec.writeBatch)
          await spec.writeBatch(
            tx,
            rows.map((r) => r.value),
          );
        else for (const r of rows) await spec.write(tx, r.value);
        await tx
          .updateTable('import_runs')
          .set({
            committed_line: uptoLine,
            accepted: accepted + rows.length,
            rejected,
            updated_at: new Date(),
          })
          .where('id', '=', runId)
          .execute();
      });
      batchAccepted = rows.length;
      writeRejects();
    } catch {
      // Some row was refused: redo the batch a row at a time so the good rows still land.
      for (const r of rows) {
        try {
          await db.transaction().execute((tx) => spec.write(tx, r.value));
          batchAccepted++;
        } catch (err) {
          failed.push({
            line: r.line,
            reason: err instanceof AppError ? `${err.code}: ${err.message}` : (err as Error).message,
            record: r.record,
          });
        }
      }
      for (const f of failed) reject(f.line, f.reason, f.record);
      await db
        .updateTable('import_runs')
        .set({
          committed_line: uptoLine,
          accepted: accepted + batchAccepted,
          rejected,
          updated_at: new Date(),
        })
        .where('id', '=', runId)
        .execute();
      writeRejects();
    }
    accepted += batchAccepted;
  };

  try {
    for await (const row of readRows(opts.file, format)) {
      if (row.line <= resumeAfter) continue;
      lastLine = row.line;
      if ('error' in row) {
        reject(row.line, row.error, row.raw);
      } else {
        const p = spec.prepare(row.record);
        if (p.ok) batch.push({ line: row.line, value: p.value, record: row.record });
        else reject(row.line, p.reason, row.record);
      }
      if (batch.length >= batchSize) {
        await flush(row.line);
        opts.onProgress?.({ line: row.line, accepted, rejected });
      }
    }
    await flush(lastLine);
    await db
      .updateTable('import_runs')
      .set({
        status: 'done',
        finished_at: new Date(),
        updated_at: new Date(),
        committed_line: lastLine,
        accepted,
        rejected,
      })
      .where('id', '=', runId)
      .execute();
    opts.onProgress?.({ line: lastLine, accepted, rejected });
  } finally {
    await new Promise<void>((resolve) => rejects.end(resolve));
    if (rejected === 0 && fs.existsSync(rejectPath) && fs.statSync(rejectPath).size === 0) {
      fs.unlinkSync(rejectPath);
    }
  }
  return {
    runId,
    kind: spec.kind,
    file: opts.file,
    format,
    status: 'done',
    accepted,
    rejected,
    resumedAfterLine: resumeAfter,
    rejectFile: rejected > 0 ? rejectPath : null,
  };
}
