import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../core/db/schema.ts';
import type { ListingRecord } from '../engine/types.ts';
import { SCAM_CATEGORIES } from '../engine/taxonomy.ts';
import { changesSince, currentVersion, snapshot } from '../snapshot.ts';
import { lookupString, PREFIX_BYTES, sha256 } from './lookup-hash.ts';

/**
 * Feeds of the registry for the systems institutions already run: CSV and NDJSON (full, or the
 * changes since a version), a DNS Response Policy Zone, a STIX 2.1 bundle, and hash prefixes for
 * privacy-preserving lookups. All are streamed: a full feed of millions of listings never sits
 * in memory as one string.
 */

export const FEED_COLUMNS = [
  'op',
  'kind',
  'value',
  'category',
  'confidence',
  'status',
  'expires_at',
  'version',
] as const;

/** `add` for a listing that matches now; `remove` (incremental feeds) for one that no longer does. */
export function feedOp(r: ListingRecord, now = Date.now()): 'add' | 'remove' {
  const live =
    (r.status === 'active' || r.status === 'under_appeal') && (r.expiresAt === null || r.expiresAt > now);
  return live ? 'add' : 'remove';
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function feedFields(r: ListingRecord): string[] {
  return [
    feedOp(r),
    r.kind,
    r.value,
    r.category,
    r.confidence.toFixed(4),
    r.status,
    r.expiresAt === null ? '' : new Date(r.expiresAt).toISOString(),
    String(r.version),
  ];
}

export function csvLine(r: ListingRecord): string {
  return feedFields(r).map(csvField).join(',') + '\n';
}

export function ndjsonLine(r: ListingRecord): string {
  const [op, kind, value, category, confidence, status, expiresAt, version] = feedFields(r);
  return (
    JSON.stringify({
      op,
      kind,
      value,
      category,
      confidence: Number(confidence),
      status,
      expiresAt: expiresAt || null,
      version: Number(version),
    }) + '\n'
  );
}

/** The records of a feed: every matching listing, or every change after `since`. */
export async function* feedRecords(q: Kysely<DB>, since?: number): AsyncGenerator<ListingRecord> {
  if (since === undefined) {
    const now = Date.now();
    for await (const r of snapshot(q)) if (feedOp(r, now) === 'add') yield r;
    return;
  }
  let v = since;
  for (;;) {
    const c = await changesSince(q, v, 10_000);
    for (const r of c.records) yield r;
    if (!c.more) return;
    v = c.version;
  }
}

export async function* csvFeed(q: Kysely<DB>, since?: number): AsyncGenerator<string> {
  yield FEED_COLUMNS.join(',') + '\n';
  for await (const r of feedRecords(q, since)) yield csvLine(r);
}

export async function* ndjsonFeed(q: Kysely<DB>, since?: number): AsyncGenerator<string> {
  for await (const r of feedRecords(q, since)) yield ndjsonLine(r);
}

// --- DNS RPZ ----------------------------------------------------------------------------------

/**
 * A Response Policy Zone (as loaded by BIND's response-policy and Unbound's rpz:) answering
 * NXDOMAIN for every listed domain and the names under it, and for listed IPv4 addresses in
 * answers. Domains are in their ASCII (punycode) form, as DNS carries them.
 */
export async function* rpzZone(
  q: Kysely<DB>,
  opts: { origin?: string; serial?: number; ttl?: number } = {},
): AsyncGenerator<string> {
  const origin = (opts.origin ?? 'rpz.interdict.local').replace(/\.$/, '');
  const serial = opts.serial ?? (await currentVersion(q)) % 4_294_967_296;
  const ttl = opts.ttl ?? 300;
  yield `$TTL ${ttl}\n$ORIGIN ${origin}.\n`;
  yield `@ SOA localhost. hostmaster.localhost. ${serial} 3600 600 604800 ${ttl}\n`;
  yield `@ NS localhost.\n`;
  const now = Date.now();
  for await (const r of snapshot(q)) {
    if (feedOp(r, now) !== 'add') continue;
    const label = SCAM_CATEGORIES[r.category]?.en ?? r.category;
    if (r.kind === 'domain' && /^[a-z0-9.-]+$/.test(r.value)) {
      yield `; ${label}, confidence ${r.confidence.toFixed(2)}\n${r.value} CNAME .\n*.${r.value} CNAME .\n`;
    } else if (r.kind === 'ip' && /^\d+\.\d+\.\d+\.\d+$/.test(r.value)) {
      yield `32.${r.value.split('.').reverse().join('.')}.rpz-ip CNAME .\n`;
    }
  }
}

// --- STIX 2.1 ---------------------------------------------------------------------------------

const NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8'; // RFC 4122 URL namespace

/** UUIDv5 (SHA-1 name-based), as STIX 2.1 recommends for deterministic identifiers. */
export function uuidv5(name: string, namespace = NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1')
    .update(Buffer.concat([ns, Buffer.from(name, 'utf8')]))
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const stixString = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The STIX pattern of a listing; kinds with no STIX Cyber-observable use documented x- objects. */
export function stixPattern(r: ListingRecord): string {
  switch (r.kind) {
    case 'domain':
      return `[domain-name:value = ${stixString(r.value)}]`;
    case 'url':
      return `[url:value LIKE ${stixString(`%${r.value}%`)}]`;
    case 'ip':
      return r.value.includes(':')
        ? `[ipv6-addr:value = ${stixString(r.value)}]`
        : `[ipv4-addr:value = ${stixString(r.value)}]`;
    case 'app':
      return r.value.startsWith('sha256:')
        ? `[file:hashes.'SHA-256' = ${stixString(r.value.slice(7))}]`
        : `[software:x_package_name = ${stixString(r.value.replace(/^pkg:/, ''))}]`;
    case 'internet_account': {
      const [platform, ...rest] = r.value.split(':');
      return `[user-account:account_type = ${stixString(platform ?? '')} AND user-account:account_login = ${stixString(rest.join(':'))}]`;
    }
    default:
      return `[x-interdict-${r.kind.replace(/_/g, '-')}:value = ${stixString(r.value)}]`;
  }
}

/** A STIX 2.1 bundle of the matching listings as Indicator objects, produced by one Identity. */
export async function* stixBundle(q: Kysely<DB>, producer = 'Interdict'): AsyncGenerator<string> {
  const identityId = `identity--${uuidv5(`interdict:identity:${producer}`)}`;
  const created = '2026-01-01T00:00:00.000Z';
  yield `{"type":"bundle","id":"bundle--${uuidv5(`interdict:bundle:${Date.now()}`)}","objects":[`;
  yield JSON.stringify({
    type: 'identity',
    spec_version: '2.1',
    id: identityId,
    created,
    modified: created,
    name: producer,
    identity_class: 'organization',
  });
  const now = Date.now();
  for await (const r of snapshot(q)) {
    if (feedOp(r, now) !== 'add') continue;
    const t = new Date().toISOString();
    yield (
      ',' +
      JSON.stringify({
        type: 'indicator',
        spec_version: '2.1',
        id: `indicator--${uuidv5(`interdict:listing:${r.id}`)}`,
        created_by_ref: identityId,
        created: t,
        modified: t,
        name: `${SCAM_CATEGORIES[r.category]?.en ?? r.category}: ${r.value}`,
        indicator_types: ['malicious-activity'],
        pattern: stixPattern(r),
        pattern_type: 'stix',
        valid_from: t,
        ...(r.expiresAt ? { valid_until: new Date(r.expiresAt).toISOString() } : {}),
        confidence: Math.round(r.confidence * 100),
        labels: [r.category],
        external_references: [{ source_name: 'interdict', external_id: r.id }],
        x_interdict_kind: r.kind,
        x_interdict_version: r.version,
      })
    );
  }
  yield ']}\n';
}

// --- hash prefixes ----------------------------------------------------------------------------

export interface PrefixSet {
  version: number;
  /** Sorted, distinct 4-byte SHA-256 prefixes, concatenated. */
  prefixes: Buffer;
  /** Full hash (hex) → what it is, for the second step of a lookup. */
  full: Map<string, { prefix: string; category: string; kind: string }[]>;
}

/** Builds the prefix list of every matching listing (kept in memory and rebuilt when the registry moves on). */
export async function buildPrefixSet(q: Kysely<DB>): Promise<PrefixSet> {
  const version = await currentVersion(q);
  const full = new Map<string, { prefix: string; category: string; kind: string }[]>();
  const prefixes = new Set<string>();
  const now = Date.now();
  for await (const r of snapshot(q)) {
    if (feedOp(r, now) !== 'add') continue;
    const h = sha256(lookupString(r.kind, r.value));
    const hex = h.toString('hex');
    const prefix = hex.slice(0, PREFIX_BYTES * 2);
    prefixes.add(prefix);
    const list = full.get(prefix) ?? [];
    list.push({ prefix: hex, category: r.category, kind: r.kind });
    full.set(prefix, list);
  }
  const sorted = [...prefixes].sort();
  return { version, prefixes: Buffer.from(sorted.join(''), 'hex'), full };
}
