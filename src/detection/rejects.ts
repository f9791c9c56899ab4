import fs from 'node:fs';

/**
 * Bad rows of the input files (docs/formats.md, "Rejects"): each goes to `<file>.rejects.ndjson`
 * as `{line, reason, record}` (the raw row, cut at 500 characters), and is counted per file. The
 * same for `interdict detect`, `detect publish` and the reference files a worker loads; a file's
 * reject file is created on its first bad row and replaced by a later run.
 */
export class RejectFiles {
  /** Bad rows per input file. */
  readonly counts: Record<string, number> = {};
  /** The reject files written, in the order they were created. */
  readonly paths: string[] = [];
  private readonly writers = new Map<string, fs.WriteStream>();

  /** The reject callback for `file` (readRecords' `onReject`). */
  of(file: string): (line: number, reason: string, raw: string) => void {
    return (line, reason, raw) => {
      this.counts[file] = (this.counts[file] ?? 0) + 1;
      let w = this.writers.get(file);
      if (!w) {
        const path = `${file}.rejects.ndjson`;
        w = fs.createWriteStream(path);
        this.writers.set(file, w);
        this.paths.push(path);
      }
      w.write(JSON.stringify({ line, reason, record: raw }) + '\n');
    };
  }

  /** Bad rows over every file. */
  get total(): number {
    let n = 0;
    for (const k in this.counts) n += this.counts[k]!;
    return n;
  }

  /** Flushes and closes every reject file. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.writers.values()].map((w) => new Promise<void>((resolve) => w.end(() => resolve()))),
    );
  }
}
