import { domainToASCII, domainToUnicode } from 'node:url';
import { parse as parseTld } from 'tldts';
import type { Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { audit, type Actor } from '../core/audit.ts';
import { badRequest, notFound } from '../core/errors.ts';
import { canonicalizeUrl, fullwidthToAscii, normalizeIp } from '../core/normalize/index.ts';
import './tables.ts';

/**
 * Look-alikes of protected brands' domains (docs/registry.md, "Look-alikes"). A brand names its
 * official registrable domains (`protected_brands`); a host imitates one when, on its registrable
 * label or its subdomains, it:
 *
 * - `idn_homoglyph` / `homoglyph`: folds to the same skeleton — punycode decoded first, accents
 *   stripped, confusable letters of other scripts (Cyrillic а е о р с…, Greek ο ν…) and digits
 *   (0→o, 1→l) mapped to Latin, i/l/1/ı made one, `rn`→`m`, `vv`→`w`, `cl`→`d` (`аpple.com`,
 *   `xn--pple-43d.com`, `rnps.gov.cn`, `lcbc.com.cn`);
 * - `other_suffix`: is the same label under another suffix (`icbc.cn` for `icbc.com.cn`);
 * - `edit_distance`: is within a Damerau-Levenshtein distance of the skeleton (1 for labels of 4–7
 *   letters, 2 from 8; none below 4, where everything is one edit from something);
 * - `brand_in_name`: carries the brand's label in its own (`icbc-secure.com`; labels shorter than
 *   4 only as a whole `-`/`_`-separated part, `qq-login.com`);
 * - `brand_in_subdomain`: carries the official domain or the label in a subdomain
 *   (`icbc.com.cn.login.example`, `icbc.secure-pay.com`).
 *
 * A host under one of the brand's own domains is never its look-alike.
 */

export const LOOKALIKE_REASONS = [
  'idn_homoglyph',
  'homoglyph',
  'other_suffix',
  'edit_distance',
  'brand_in_name',
  'brand_in_subdomain',
] as const;
export type LookalikeReason = (typeof LOOKALIKE_REASONS)[number];

export interface Brand {
  brand: string;
  domains: readonly string[];
}

export interface LookalikeMatch {
  brand: string;
  /** The official domain imitated. */
  domain: string;
  reason: LookalikeReason;
  /** edit_distance only. */
  distance?: number;
}

export interface ParsedHost {
  /** Lower-case ASCII (punycode). */
  host: string;
  /** For display: punycode decoded. */
  unicodeHost: string;
  /** The registrable domain (ASCII); by the public suffix list, its last label when the suffix is unknown. */
  domain: string;
  publicSuffix: string;
  /** The registrable label, ASCII and Unicode. */
  label: string;
  unicodeLabel: string;
  /** The labels before the registrable domain (ASCII), `''` when none. */
  subdomain: string;
}

// --- Skeletons -----------------------------------------------------------------------------------

/** Letters of other scripts, and digits, that render like a Latin letter in a domain name. */
const CONFUSABLES: Record<string, string> = {
  // Cyrillic
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ѕ: 's',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ԁ: 'd',
  һ: 'h',
  ԛ: 'q',
  ԝ: 'w',
  ӏ: 'l',
  ь: 'b',
  ɡ: 'g',
  ү: 'y',
  ԍ: 'g',
  ѡ: 'w',
  п: 'n',
  // Greek
  α: 'a',
  β: 'b',
  γ: 'y',
  ε: 'e',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  η: 'n',
  μ: 'u',
  // Armenian and others
  օ: 'o',
  ս: 'u',
  հ: 'h',
  ց: 'g',
  ɑ: 'a',
  ɩ: 'i',
  ı: 'i',
  ȷ: 'j',
  ℓ: 'l',
  ǀ: 'l',
  // Digits
  '0': 'o',
  '1': 'l',
  '|': 'l',
};

/** After the letters: i, l and 1 are one letter; pairs that render as one letter. */
const MULTI: [RegExp, string][] = [
  [/i/g, 'l'],
  [/rn/g, 'm'],
  [/vv/g, 'w'],
  [/cl/g, 'd'],
];

/** The skeleton of a label: what it looks like, so `аpple`, `app1e` and `apple` are one. */
export function skeleton(label: string): string {
  const decomposed = label.normalize('NFKD').toLowerCase().replace(/\p{M}/gu, '');
  let out = '';
  for (const ch of decomposed) out += CONFUSABLES[ch] ?? ch;
  for (const [re, to] of MULTI) out = out.replace(re, to);
  return out;
}

/**
 * The Damerau-Levenshtein distance (optimal string alignment: insert, delete, substitute,
 * swap two neighbours) between a and b, or max + 1 as soon as it is above `max`.
 */
export function damerauLevenshtein(a: string, b: string, max = Infinity): number {
  const A = [...a];
  const B = [...b];
  if (Math.abs(A.length - B.length) > max) return max + 1;
  const n = B.length;
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= A.length; i++) {
    const cur: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = A[i - 1] === B[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && A[i - 1] === B[j - 2] && A[i - 2] === B[j - 1])
        d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[n]!;
}

/** Edits allowed from a brand label of this length. */
export function maxEdits(labelLength: number): number {
  return labelLength < 4 ? 0 : labelLength < 8 ? 1 : 2;
}

// --- Hosts -----------------------------------------------------------------------------------------

/**
 * The host of a domain name, URL or e-mail address, in ASCII and Unicode with its registrable
 * domain and label; null for IP addresses and what is not a host name.
 */
export function parseHost(input: string): ParsedHost | null {
  if (typeof input !== 'string') return null;
  const s = fullwidthToAscii(input.trim(), { dots: true });
  if (!s || s.length > 2048) return null;
  let host: string;
  if (/[/:\\?#]/.test(s)) {
    const u = canonicalizeUrl(s);
    if (!u.ok || u.hostIsIp) return null;
    host = u.host;
  } else {
    const at = s.lastIndexOf('@');
    host = (at === -1 ? s : s.slice(at + 1)).replace(/^\.+|\.+$/g, '');
  }
  if (!host || host.includes('..') || normalizeIp(host).ok) return null;
  const ascii = domainToASCII(host.toLowerCase());
  if (!ascii) return null;
  const t = parseTld(ascii, { allowPrivateDomains: true });
  if (t.isIp || !t.domain || !t.publicSuffix || !t.domainWithoutSuffix) return null;
  const label = t.domainWithoutSuffix;
  return {
    host: ascii,
    unicodeHost: domainToUnicode(ascii) || ascii,
    domain: t.domain,
    publicSuffix: t.publicSuffix,
    label,
    unicodeLabel: label.startsWith('xn--') ? domainToUnicode(label) || label : label,
    subdomain: t.subdomain ?? '',
  };
}

interface CompiledDomain {
  domain: string;
  label: string;
  suffix: string;
  skeleton: string;
  maxEdits: number;
}

export interface CompiledBrand {
  brand: string;
  domains: CompiledDomain[];
}

/** Prepares brands for matching (parse and fold their domains once). */
export function compileBrands(brands: readonly Brand[]): CompiledBrand[] {
  return brands.map((b) => ({
    brand: b.brand,
    domains: b.domains.flatMap((d) => {
      const p = parseHost(d);
      if (!p) return [];
      return [
        {
          domain: p.domain,
          label: p.label,
          suffix: p.publicSuffix,
          skeleton: skeleton(p.unicodeLabel),
          maxEdits: maxEdits([...p.unicodeLabel].length),
        },
      ];
    }),
  }));
}

const RANK: Record<LookalikeReason, number> = {
  idn_homoglyph: 0,
  homoglyph: 1,
  other_suffix: 2,
  edit_distance: 3,
  brand_in_name: 4,
  brand_in_subdomain: 5,
};

const parts = (label: string) => label.split(/[-_]+/).filter(Boolean);

/** A label with its skeleton and parts, computed once per host. */
interface FoldedLabel {
  label: string;
  skeleton: string;
  parts: string[];
  skeletonParts: string[];
}

function fold(label: string): FoldedLabel {
  const skel = skeleton(label);
  return { label, skeleton: skel, parts: parts(label), skeletonParts: parts(skel) };
}

function carries(l: FoldedLabel, d: CompiledDomain): boolean {
  if (d.label.length >= 4) return l.label.includes(d.label) || l.skeleton.includes(d.skeleton);
  return l.parts.includes(d.label) || l.skeletonParts.includes(d.skeleton);
}

interface Probe {
  host: ParsedHost;
  label: FoldedLabel;
  /** `.sub.domain.` for matching official domains inside the subdomain. */
  dottedSub: string;
  subLabels: FoldedLabel[];
}

function probe(h: ParsedHost): Probe {
  const unicodeSub = h.subdomain ? domainToUnicode(h.subdomain) || h.subdomain : '';
  return {
    host: h,
    label: fold(h.unicodeLabel),
    dottedSub: h.subdomain ? `.${h.subdomain}.` : '',
    subLabels: unicodeSub ? unicodeSub.split('.').map(fold) : [],
  };
}

function matchDomain(p: Probe, d: CompiledDomain): LookalikeMatch['reason'] | [number] | null {
  const h = p.host;
  const skel = p.label.skeleton;
  if (h.label === d.label) return h.publicSuffix === d.suffix ? null : 'other_suffix';
  if (skel === d.skeleton) return h.unicodeLabel !== h.label ? 'idn_homoglyph' : 'homoglyph';
  if (d.maxEdits > 0 && Math.abs(skel.length - d.skeleton.length) <= d.maxEdits) {
    const dist = damerauLevenshtein(skel, d.skeleton, d.maxEdits);
    if (dist <= d.maxEdits) return [dist];
  }
  if (carries(p.label, d)) return 'brand_in_name';
  if (p.dottedSub) {
    if (p.dottedSub.includes(`.${d.domain}.`)) return 'brand_in_subdomain';
    if (p.subLabels.some((l) => carries(l, d) || l.skeleton === d.skeleton)) return 'brand_in_subdomain';
  }
  return null;
}

/** The brands `input` (a domain, URL or host) imitates, most telling reason first; [] for none. */
export function findLookalikes(
  input: string | ParsedHost,
  brands: readonly CompiledBrand[],
): LookalikeMatch[] {
  const h = typeof input === 'string' ? parseHost(input) : input;
  if (!h) return [];
  const p = probe(h);
  const out: LookalikeMatch[] = [];
  for (const b of brands) {
    // The brand's own names are not look-alikes of it.
    if (b.domains.some((d) => h.host === d.domain || h.host.endsWith(`.${d.domain}`))) continue;
    let best: LookalikeMatch | null = null;
    for (const d of b.domains) {
      const r = matchDomain(p, d);
      if (r === null) continue;
      const m: LookalikeMatch = Array.isArray(r)
        ? { brand: b.brand, domain: d.domain, reason: 'edit_distance', distance: r[0] }
        : { brand: b.brand, domain: d.domain, reason: r };
      if (!best || RANK[m.reason] < RANK[best.reason]) best = m;
    }
    if (best) out.push(best);
  }
  return out.sort((a, b) => RANK[a.reason] - RANK[b.reason] || a.brand.localeCompare(b.brand));
}

// --- Protected brands (storage) -------------------------------------------------------------------

function inTx<T>(q: Kysely<DB>, fn: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
  return q.isTransaction ? fn(q) : q.transaction().execute(fn);
}

const BRAND_RE = /^[\p{L}\p{N}][\p{L}\p{N} .&()'-]{0,99}$/u;

/** Lower-case ASCII registrable domains of a brand; refuses what is not a domain name. */
export function brandDomains(domains: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of domains) {
    const p = parseHost(raw);
    if (!p || p.publicSuffix === p.domain) throw badRequest('invalid_domain', `not a domain name: "${raw}"`);
    out.add(p.host === `www.${p.domain}` ? p.domain : p.host);
  }
  if (out.size === 0) throw badRequest('invalid_domain', 'a brand needs at least one domain');
  return [...out];
}

export async function listBrands(q: Kysely<DB>): Promise<Brand[]> {
  const rows = await q.selectFrom('protected_brands').select(['brand', 'domains']).orderBy('brand').execute();
  return rows.map((r) => ({ brand: r.brand, domains: r.domains }));
}

export async function loadCompiledBrands(q: Kysely<DB>): Promise<CompiledBrand[]> {
  return compileBrands(await listBrands(q));
}

/** Adds a brand or replaces its domains. */
export async function upsertBrand(
  q: Kysely<DB>,
  actor: Actor,
  input: { brand: string; domains: readonly string[] },
  requestId?: string,
): Promise<Brand> {
  const brand = input.brand.normalize('NFC').trim();
  if (!BRAND_RE.test(brand))
    throw badRequest('invalid_brand', 'a brand name is 1–100 letters, digits and spaces');
  const domains = brandDomains(input.domains);
  await inTx(q, async (tx) => {
    await tx
      .insertInto('protected_brands')
      .values({ brand, domains, added_by: actor.name })
      .onConflict((oc) => oc.column('brand').doUpdateSet({ domains }))
      .execute();
    await audit(
      tx,
      actor,
      { action: 'brand.protect', targetKind: 'brand', targetId: brand, details: { domains } },
      requestId,
    );
  });
  return { brand, domains };
}

export async function removeBrand(
  q: Kysely<DB>,
  actor: Actor,
  brand: string,
  requestId?: string,
): Promise<void> {
  await inTx(q, async (tx) => {
    const r = await tx.deleteFrom('protected_brands').where('brand', '=', brand).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw notFound(`brand "${brand}"`);
    await audit(tx, actor, { action: 'brand.unprotect', targetKind: 'brand', targetId: brand }, requestId);
  });
}
