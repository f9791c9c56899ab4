import fs from 'node:fs';
import readline from 'node:readline';
import { parse as parseCsvSync } from 'csv-parse/sync';

export type FileFormat = 'csv' | 'ndjson';

/** One input row: its line number in the file and its fields, or why it could not be read. */
export type InputRow =
  { line: number; record: Record<string, string> } | { line: number; error: string; raw?: string };

export class FileFormatError extends Error {
  override name = 'FileFormatError';
}

export function detectFormat(file: string, declared?: string): FileFormat {
  if (declared) {
    if (declared !== 'csv' && declared !== 'ndjson')
      throw new FileFormatError(`unknown format "${declared}" (csv or ndjson)`);
    return declared;
  }
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(ndjson|jsonl)$/i.test(file)) return 'ndjson';
  throw new FileFormatError(
    `cannot tell the format of ${file} from its name: pass --format csv or --format ndjson`,
  );
}

/**
 * Checks the start of the file before anything is written: readable, UTF-8 (a GBK export is named
 * as such), and for CSV a header holding the required columns.
 */
export async function checkFile(
  file: string,
  format: FileFormat,
  required: readonly string[],
): Promise<string[]> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new FileFormatError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const buf = Buffer.alloc(64 * 1024);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  fs.closeSync(fd);
  const head = buf.subarray(0, n);
  if (n === 0) throw new FileFormatError(`${file} is empty`);
  if (head.includes(0)) throw new FileFormatError(`${file} is binary, not ${format.toUpperCase()} text`);
  if (!isUtf8Prefix(head)) {
    throw new FileFormatError(
      `${file} is not UTF-8 (perhaps GBK): convert it first, e.g. iconv -f GBK -t UTF-8`,
    );
  }
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  let columns: string[];
  if (format === 'csv') {
    columns = firstLine.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  } else {
    try {
      const obj = JSON.parse(firstLine) as unknown;
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('not an object');
      columns = Object.keys(obj);
    } catch {
      throw new FileFormatError(`${file} is not NDJSON: its first line is not a JSON object`);
    }
  }
  const missing = required.filter((c) => !columns.includes(c));
  if (missing.length) {
    throw new FileFormatError(
      `${file} is not the declared format: missing column(s) ${missing.join(', ')} (expected ${required.join(',')})`,
    );
  }
  return columns;
}

/** True if `b` is valid UTF-8, allowing a sequence cut off at the end of the buffer. */
function isUtf8Prefix(b: Buffer): boolean {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const need =
      c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : -1;
    if (need < 0) return false;
    for (let k = 1; k <= need; k++) {
      if (i + k >= b.length) return true;
      if ((b[i + k]! & 0xc0) !== 0x80) return false;
    }
    i += need + 1;
  }
  return true;
}

/** Streams the rows of a CSV (with header) or NDJSON file; a bad row is reported, never fatal. */
export async function* readRows(file: string, format: FileFormat): AsyncGenerator<InputRow> {
  if (format === 'ndjson') {
    const rl = readline.createInterface({
      input: fs.createReadStream(file, { encoding: 'utf8' }),
      crlfDelay: Infinity,
    });
    let line = 0;
    for await (const text of rl) {
      line++;
      const t = line === 1 ? text.replace(/^\uFEFF/, '') : text;
      if (!t.trim()) continue;
      try {
        const obj = JSON.parse(t) as unknown;
        if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
          yield { line, error: 'not a JSON object', raw: t.slice(0, 500) };
          continue;
        }
        const record: Record<string, string> = {};
        for (const [k, v] of Object.entries(obj)) record[k] = v === null || v === undefined ? '' : String(v);
        yield { line, record };
      } catch {
        yield { line, error: 'not valid JSON', raw: t.slice(0, 500) };
      }
    }
    return;
  }
  // Line-oriented: these files hold one record per line, so a row with broken quoting costs that
  // row only instead of swallowing the rest of the file as one endless quoted field.
  const rl = readline.createInterface({
    input: fs.createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Infinity,
  });
  let header: string[] | null = null;
  let line = 0;
  for await (const text of rl) {
    line++;
    const t = line === 1 ? text.replace(/^\uFEFF/, '') : text;
    if (!t.trim()) continue;
    let fields: string[];
    try {
      fields = splitCsvLine(t);
    } catch (err) {
      if (!header) throw new FileFormatError(`the CSV header is unreadable: ${(err as Error).message}`);
      yield { line, error: `unreadable CSV row: ${(err as Error).message}`, raw: t.slice(0, 500) };
      continue;
    }
    if (!header) {
      header = fields;
      continue;
    }
    if (fields.length !== header.length) {
      yield {
        line,
        error: `unreadable CSV row: ${fields.length} fields where the header has ${header.length}`,
        raw: t.slice(0, 500),
      };
      continue;
    }
    const record: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) record[header[i]!] = fields[i]!;
    yield { line, record };
  }
}

/** One CSV line (RFC 4180 quoting, no line breaks inside fields), fields trimmed. */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',').map((f) => f.trim());
  const rows = parseCsvSync(line, { relax_column_count: true, trim: true }) as string[][];
  if (rows.length !== 1) throw new Error('a line holds more than one record');
  return rows[0]!;
}
