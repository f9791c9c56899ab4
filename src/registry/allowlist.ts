import crypto from 'node:crypto';
import { domainToASCII } from 'node:url';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { audit, type Actor } from '../core/audit.ts';
import type { EventBus } from '../core/bus/index.ts';
import { badRequest, conflict, notFound } from '../core/errors.ts';
import {
  CN_SHORT_CODES,
  isIndicatorKind,
  normalizeDomain,
  normalizeIndicator,
  type IndicatorKind,
} from '../core/normalize/index.ts';
import { delistMatching } from './service.ts';
import type { ProtectedIndicatorsTable } from './tables.ts';

/**
 * The allowlist: indicators no listing can block — emergency and warning lines, banks' and
 * operators' published hotlines, government and banks' domains. A submission that would hit one
 * goes to the review queue instead of the registry (service.ts); adding an entry delists what it
 * now covers. A protected domain covers every name under it: `gov.cn` covers `mps.gov.cn`.
 */

export interface ProtectedIndicator {
  id: string;
  kind: IndicatorKind;
  value: string;
  label: string;
  reason: string | null;
  addedBy: string;
  createdAt: Date;
}

const toView = (r: Selectable<ProtectedIndicatorsTable>): ProtectedIndicator => ({
  id: r.id,
  kind: r.kind,
  value: r.value,
  label: r.label,
  reason: r.reason,
  addedBy: r.added_by,
  createdAt: new Date(r.created_at),
});

function inTx<T>(q: Kysely<DB>, fn: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
  return q.isTransaction ? fn(q) : q.transaction().execute(fn);
}

/**
 * The canonical value of an allowlist entry: as the registry's, except that a domain may also be
 * a public suffix of two labels or more (`gov.cn`, `edu.cn`), which covers every name under it.
 */
export function normaliseProtected(
  kind: string,
  raw: string,
): { ok: true; value: string } | { ok: false; code: string; reason: string } {
  if (!isIndicatorKind(kind)) return { ok: false, code: 'kind_unknown', reason: 'unknown indicator kind' };
  if (kind === 'domain') {
    const d = normalizeDomain(raw);
    if (d.ok) return { ok: true, value: d.value };
    if (d.code === 'domain_no_registrable') {
      const ascii = domainToASCII(
        raw
          .trim()
          .toLowerCase()
          .replace(/^\.+|\.+$/g, ''),
      );
      if (ascii && ascii.split('.').length >= 2) return { ok: true, value: ascii };
    }
    return { ok: false, code: d.code, reason: d.reason };
  }
  const r = normalizeIndicator(kind, raw);
  return r.ok ? { ok: true, value: r.value } : { ok: false, code: r.code, reason: r.reason };
}

/** `a.b.c` → `a.b.c`, `b.c` (never the last label alone). */
export function domainSuffixes(host: string): string[] {
  const labels = host.split('.');
  const out: string[] = [];
  for (let i = 0; i + 2 <= labels.length; i++) out.push(labels.slice(i).join('.'));
  return out;
}

/** What a candidate listing is checked against: its value, and for domains and URLs the host. */
export interface ProtectionProbe {
  kind: IndicatorKind;
  value: string;
  /** domain: the registrable domain (= value); url: the URL's host; else null. */
  host: string | null;
}

export interface ProtectionHit {
  kind: IndicatorKind;
  value: string;
  label: string;
}

/**
 * The allowlist entry each probe hits, or null: the same (kind, value); for a domain or a URL's
 * host, a protected domain it is under, or (domains) a protected domain under it.
 */
export async function findProtected(
  q: Kysely<DB>,
  probes: readonly ProtectionProbe[],
): Promise<(ProtectionHit | null)[]> {
  if (probes.length === 0) return [];
  const kinds: string[] = [];
  const values: string[] = [];
  const add = (k: string, v: string) => {
    kinds.push(k);
    values.push(v);
  };
  const under: string[] = [];
  for (const p of probes) {
    add(p.kind, p.value);
    if (p.host) for (const s of domainSuffixes(p.host)) add('domain', s);
    if (p.kind === 'domain') under.push(`%.${escapeLike(p.value)}`);
  }
  const rows = await sql<{ kind: IndicatorKind; value: string; label: string }>`
    select p.kind, p.value, p.label from protected_indicators p
    join (select distinct * from unnest(${kinds}::text[], ${values}::text[])) as c(kind, value)
      on c.kind = p.kind and c.value = p.value
    union
    select p.kind, p.value, p.label from protected_indicators p
    where p.kind = 'domain' and p.value like any(${under}::text[])`.execute(q);
  const exact = new Map<string, ProtectionHit>();
  const domains: ProtectionHit[] = [];
  for (const r of rows.rows) {
    exact.set(`${r.kind}\u0000${r.value}`, r);
    if (r.kind === 'domain') domains.push(r);
  }
  return probes.map((p) => {
    const hit = exact.get(`${p.kind}\u0000${p.value}`);
    if (hit) return hit;
    if (p.host) {
      for (const s of domainSuffixes(p.host)) {
        const h = exact.get(`domain\u0000${s}`);
        if (h) return h;
      }
    }
    if (p.kind === 'domain') return domains.find((d) => d.value.endsWith(`.${p.value}`)) ?? null;
    return null;
  });
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

// --- CRUD ------------------------------------------------------------------------------------------

export async function listProtected(
  q: Kysely<DB>,
  opts: { kind?: IndicatorKind | undefined; q?: string | undefined; limit?: number | undefined } = {},
): Promise<ProtectedIndicator[]> {
  let query = q
    .selectFrom('protected_indicators')
    .selectAll()
    .orderBy('kind')
    .orderBy('value')
    .limit(Math.min(Math.max(opts.limit ?? 1000, 1), 5000));
  if (opts.kind) query = query.where('kind', '=', opts.kind);
  if (opts.q) {
    const like = `%${escapeLike(opts.q.toLowerCase())}%`;
    query = query.where((eb) => eb.or([eb('value', 'like', like), eb(sql`lower(label)`, 'like', like)]));
  }
  return (await query.execute()).map(toView);
}

export interface ProtectInput {
  kind: string;
  value: string;
  label: string;
  reason?: string | null;
}

/**
 * Adds an allowlist entry and delists every listing it now covers (history reason
 * `protected: <label>`), in one transaction. 409 `already_protected` if it is there.
 */
export async function addProtected(
  q: Kysely<DB>,
  bus: Pick<EventBus, 'publish'>,
  actor: Actor,
  input: ProtectInput,
  requestId?: string,
): Promise<ProtectedIndicator & { delisted: number }> {
  const n = normaliseProtected(input.kind, input.value);
  if (!n.ok) throw badRequest(n.code, n.reason);
  const label = input.label.trim();
  if (!label || label.length > 200) throw badRequest('invalid_label', 'a label is 1–200 characters');
  const kind = input.kind as IndicatorKind;
  return inTx(q, async (tx) => {
    const row = await tx
      .insertInto('protected_indicators')
      .values({
        id: crypto.randomUUID(),
        kind,
        value: n.value,
        label,
        reason: input.reason?.trim() || null,
        added_by: actor.name,
      })
      .onConflict((oc) => oc.columns(['kind', 'value']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw conflict('already_protected', `${kind} ${n.value} is already on the allowlist`);
    const delisted = await delistMatching(
      tx,
      bus,
      actor,
      { kind, value: n.value },
      `protected: ${label}`,
      requestId,
    );
    await audit(
      tx,
      actor,
      {
        action: 'allowlist.add',
        targetKind: 'protected_indicator',
        targetId: row.id,
        details: { kind, value: n.value, label, delisted },
      },
      requestId,
    );
    return { ...toView(row), delisted };
  });
}

export async function removeProtected(
  q: Kysely<DB>,
  actor: Actor,
  id: string,
  reason?: string | null,
  requestId?: string,
): Promise<ProtectedIndicator> {
  return inTx(q, async (tx) => {
    const row = await tx
      .deleteFrom('protected_indicators')
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('allowlist entry');
    await audit(
      tx,
      actor,
      {
        action: 'allowlist.remove',
        targetKind: 'protected_indicator',
        targetId: id,
        details: { kind: row.kind, value: row.value, label: row.label, reason: reason ?? null },
      },
      requestId,
    );
    return toView(row);
  });
}

// --- Seed ------------------------------------------------------------------------------------------

/** Published government, anti-fraud, bank, operator and payment domains (all names under them too). */
export const SEED_DOMAINS: readonly (readonly [string, string])[] = [
  ['gov.cn', 'Government of the PRC (every gov.cn name)'],
  ['mps.gov.cn', 'Ministry of Public Security'],
  ['miit.gov.cn', 'Ministry of Industry and Information Technology'],
  ['cac.gov.cn', 'Cyberspace Administration of China'],
  ['pbc.gov.cn', "People's Bank of China"],
  ['court.gov.cn', "Supreme People's Court"],
  ['12321.cn', 'Spam and fraud reporting centre (12321)'],
  ['12377.cn', 'Illegal and harmful information reporting centre'],
  ['icbc.com.cn', 'ICBC'],
  ['ccb.com', 'China Construction Bank'],
  ['boc.cn', 'Bank of China'],
  ['abchina.com', 'Agricultural Bank of China'],
  ['bankcomm.com', 'Bank of Communications'],
  ['cmbchina.com', 'China Merchants Bank'],
  ['psbc.com', 'Postal Savings Bank of China'],
  ['unionpay.com', 'China UnionPay'],
  ['95516.com', 'China UnionPay'],
  ['alipay.com', 'Alipay'],
  ['tenpay.com', 'Tenpay (WeChat Pay)'],
  ['10086.cn', 'China Mobile'],
  ['chinamobile.com', 'China Mobile'],
  ['10010.com', 'China Unicom'],
  ['chinaunicom.com.cn', 'China Unicom'],
  ['189.cn', 'China Telecom'],
  ['chinatelecom.com.cn', 'China Telecom'],
];

/** Brands whose domains fraudsters imitate; look-alikes of them are flagged (lookalike.ts). */
export const SEED_BRANDS: readonly { brand: string; domains: string[] }[] = [
  { brand: 'ICBC', domains: ['icbc.com.cn'] },
  { brand: 'China Construction Bank', domains: ['ccb.com'] },
  { brand: 'Bank of China', domains: ['boc.cn', 'bankofchina.com'] },
  { brand: 'Agricultural Bank of China', domains: ['abchina.com'] },
  { brand: 'Bank of Communications', domains: ['bankcomm.com'] },
  { brand: 'China Merchants Bank', domains: ['cmbchina.com'] },
  { brand: 'Postal Savings Bank of China', domains: ['psbc.com'] },
  { brand: 'China UnionPay', domains: ['unionpay.com', '95516.com'] },
  { brand: 'Alipay', domains: ['alipay.com'] },
  { brand: 'Tenpay', domains: ['tenpay.com'] },
  { brand: 'Tencent', domains: ['qq.com', 'wechat.com'] },
  { brand: 'Taobao', domains: ['taobao.com', 'tmall.com'] },
  { brand: 'JD', domains: ['jd.com'] },
  { brand: 'Pinduoduo', domains: ['pinduoduo.com'] },
  { brand: 'Apple', domains: ['apple.com', 'icloud.com'] },
  { brand: 'China Mobile', domains: ['10086.cn', 'chinamobile.com'] },
  { brand: 'China Unicom', domains: ['10010.com', 'chinaunicom.com.cn'] },
  { brand: 'China Telecom', domains: ['189.cn', 'chinatelecom.com.cn'] },
  { brand: 'Ministry of Public Security', domains: ['mps.gov.cn'] },
  { brand: '12321', domains: ['12321.cn'] },
];

/** Short-code categories that are protected: every CN short service number we know of. */
const SHORT_CODE_REASON: Record<string, string> = {
  emergency: 'emergency line',
  anti_fraud: 'anti-fraud warning line',
  government: 'government service line',
  operator_hotline: "operator's published hotline",
  bank_hotline: "bank's published hotline",
  service_hotline: 'public-service hotline',
};

/**
 * Adds the seed allowlist and brands (existing entries are left as they are): every CN short
 * service number the normaliser knows (110, 119, 120, 122, 12110, 96110, 12321, 12381, 955xx bank
 * hotlines, 10086/10010/10000 …), government, bank, operator and payment domains. Returns how many
 * entries were added.
 */
export async function seedProtected(
  q: Kysely<DB>,
  actor?: Actor,
): Promise<{ indicators: number; brands: number }> {
  const rows: { kind: IndicatorKind; value: string; label: string; reason: string }[] = [];
  for (const [digits, info] of Object.entries(CN_SHORT_CODES)) {
    rows.push({
      kind: 'phone',
      value: `short:CN:${digits}`,
      label: `${digits} ${info.name}`,
      reason: SHORT_CODE_REASON[info.category] ?? info.category,
    });
  }
  for (const [domain, label] of SEED_DOMAINS) {
    const n = normaliseProtected('domain', domain);
    if (!n.ok) throw new Error(`seed domain ${domain}: ${n.reason}`);
    rows.push({ kind: 'domain', value: n.value, label, reason: 'published official domain' });
  }
  return inTx(q, async (tx) => {
    const added = await tx
      .insertInto('protected_indicators')
      .values(rows.map((r) => ({ id: crypto.randomUUID(), ...r, added_by: 'seed' })))
      .onConflict((oc) => oc.columns(['kind', 'value']).doNothing())
      .returning('id')
      .execute();
    const brands = await tx
      .insertInto('protected_brands')
      .values(SEED_BRANDS.map((b) => ({ brand: b.brand, domains: b.domains, added_by: 'seed' })))
      .onConflict((oc) => oc.column('brand').doNothing())
      .returning('brand')
      .execute();
    const r = { indicators: added.length, brands: brands.length };
    if (actor && (r.indicators || r.brands)) {
      await audit(tx, actor, { action: 'allowlist.seed', targetKind: 'protected_indicator', details: r });
    }
    return r;
  });
}
