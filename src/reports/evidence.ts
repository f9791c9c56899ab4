import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import { AppError } from '../core/errors.ts';

/**
 * Evidence files (screenshots, recordings, documents) are kept on disk, named by their SHA-256
 * under the evidence folder, never in database rows. The media type is read from the file's own
 * first bytes: a declared type that does not match them is refused, so an executable renamed to
 * `.jpg` never lands.
 */
export const EVIDENCE_TYPES = {
  'image/jpeg': { max: 10 << 20, ext: 'jpg' },
  'image/png': { max: 10 << 20, ext: 'png' },
  'image/gif': { max: 10 << 20, ext: 'gif' },
  'image/webp': { max: 10 << 20, ext: 'webp' },
  'application/pdf': { max: 10 << 20, ext: 'pdf' },
  'audio/mpeg': { max: 20 << 20, ext: 'mp3' },
  'audio/mp4': { max: 20 << 20, ext: 'm4a' },
  'audio/wav': { max: 20 << 20, ext: 'wav' },
  'audio/amr': { max: 20 << 20, ext: 'amr' },
  'video/mp4': { max: 20 << 20, ext: 'mp4' },
} as const;
export type EvidenceType = keyof typeof EVIDENCE_TYPES;
export const EVIDENCE_MAX_BYTES = 20 << 20;
/** At most this many files per report. */
export const EVIDENCE_PER_REPORT = 10;

export function isEvidenceType(t: string): t is EvidenceType {
  return Object.hasOwn(EVIDENCE_TYPES, t);
}

const starts = (b: Uint8Array, sig: readonly number[], at = 0) => sig.every((x, i) => b[at + i] === x);
const ascii = (b: Uint8Array, from: number, to: number) =>
  Buffer.from(b.subarray(from, to)).toString('latin1');

/** The media type the bytes show, or null when they are none of the accepted kinds. */
export function sniffMediaType(b: Uint8Array): EvidenceType | null {
  if (b.length < 12) return null;
  if (starts(b, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'image/webp';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WAVE') return 'audio/wav';
  if (ascii(b, 0, 5) === '%PDF-') return 'application/pdf';
  if (ascii(b, 0, 6) === '#!AMR\n') return 'audio/amr';
  if (ascii(b, 0, 3) === 'ID3' || (b[0] === 0xff && (b[1]! & 0xe0) === 0xe0)) return 'audio/mpeg';
  if (ascii(b, 4, 8) === 'ftyp') {
    const brand = ascii(b, 8, 12);
    return brand.startsWith('M4A') ? 'audio/mp4' : 'video/mp4';
  }
  return null;
}

export type EvidenceCheck =
  | { ok: true; mediaType: EvidenceType; sha256: string }
  | { ok: false; status: 413 | 415 | 400; code: string; message: string };

/** Checks an upload's bytes against its declared type and the size limits. */
export function checkEvidence(declared: string, bytes: Uint8Array): EvidenceCheck {
  const type = declared.split(';')[0]!.trim().toLowerCase();
  if (bytes.length === 0)
    return { ok: false, status: 400, code: 'evidence_empty', message: 'the file is empty' };
  if (!isEvidenceType(type))
    return {
      ok: false,
      status: 415,
      code: 'evidence_type',
      message: `files of type ${type || '(none)'} are not accepted; send one of ${Object.keys(EVIDENCE_TYPES).join(', ')}`,
    };
  if (bytes.length > EVIDENCE_TYPES[type].max)
    return {
      ok: false,
      status: 413,
      code: 'evidence_too_large',
      message: `a ${type} file is at most ${EVIDENCE_TYPES[type].max >> 20} MB`,
    };
  const seen = sniffMediaType(bytes);
  const family = (t: string) => (t === 'audio/mp4' || t === 'video/mp4' ? 'mp4' : t);
  if (seen === null || family(seen) !== family(type))
    return {
      ok: false,
      status: 415,
      code: 'evidence_mismatch',
      message: `the file says it is ${type} but its content is ${seen ?? 'not a recognised image, recording or document'}`,
    };
  return { ok: true, mediaType: type, sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
}

export function evidencePath(dir: string, sha256: string): string {
  return path.join(dir, sha256.slice(0, 2), sha256);
}

/** Writes the file once (same content, same name); the rename makes a half-written file invisible. */
export async function storeEvidence(dir: string, sha256: string, bytes: Uint8Array): Promise<string> {
  const file = evidencePath(dir, sha256);
  if (fs.existsSync(file)) return file;
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomUUID()}.part`;
  await fs.promises.writeFile(tmp, bytes, { mode: 0o600 });
  await fs.promises.rename(tmp, file);
  return file;
}

/** A file name safe to show and store: no path, no control characters, at most 200 characters. */
export function cleanFileName(name: string | undefined, ext: string): string {
  const base = path.basename((name ?? '').replace(/\\/g, '/'));
  let clean = '';
  for (const ch of base) if (ch.charCodeAt(0) >= 0x20 && ch !== '\u007f') clean += ch;
  clean = clean.trim().slice(0, 200);
  return clean || `evidence.${ext}`;
}

/**
 * Sends a stored evidence file as a download (410 when the file left the evidence folder). The
 * caller has checked the reader may see it and writes the audit record.
 */
export function sendEvidence(
  reply: FastifyReply,
  dir: string,
  e: { sha256: string; media_type: string; file_name: string },
): FastifyReply {
  const file = evidencePath(dir, e.sha256);
  if (!fs.existsSync(file))
    throw new AppError(410, 'evidence_missing', 'the evidence file is not in the evidence folder');
  return reply
    .type(e.media_type)
    .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(e.file_name)}`)
    .header('x-content-type-options', 'nosniff')
    .send(fs.createReadStream(file));
}
