/**
 * The allowlist: protected numbers, domains and accounts (emergency and warning lines, banks' and
 * operators' published hotlines, government domains) that no listing can block. A protected party's
 * matches are still reported, but their action is capped at `review`, with a reason.
 *
 * Small (thousands of entries), consulted only for parties that matched a listing, so a plain Map.
 */
import {
  CN_SHORT_CODES,
  canonicalizeUrl,
  normalizeDomain,
  normalizeIndicator,
  urlLookupExpressions,
  type IndicatorKind,
  type NormalizeOptions,
  type ShortCodeCategory,
} from '../../core/normalize/index.ts';

export interface ProtectedEntry {
  kind: IndicatorKind;
  /** Canonical value; for `domain` a host name that protects itself and every name below it. */
  value: string;
  /** What it is, for the reason text: both languages, or one text used for both. */
  label: string | { zh: string; en: string };
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

const key = (kind: string, value: string) => `${kind}\u0000${value}`;

export class Allowlist {
  private readonly entries = new Map<string, ProtectedEntry>();
  private urlEntries = 0;

  constructor(entries: readonly ProtectedEntry[] = []) {
    for (const e of entries) this.add(e);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Adds an entry whose value is already canonical. */
  add(e: ProtectedEntry): void {
    const label = typeof e.label === 'string' ? e.label : Object.freeze({ zh: e.label.zh, en: e.label.en });
    const k = key(e.kind, e.value);
    if (e.kind === 'url' && !this.entries.has(k)) this.urlEntries++;
    this.entries.set(k, Object.freeze({ kind: e.kind, value: e.value, label }));
  }

  /**
   * Normalises `raw` and adds it. Domains keep the registrable domain (`www.icbc.com.cn` →
   * `icbc.com.cn`); a public suffix such as `gov.cn` is kept as written (lower case, punycode) and
   * protects every domain under it. Returns the entry, or the normaliser's error code.
   */
  addRaw(
    kind: IndicatorKind,
    raw: string,
    label: string | { zh: string; en: string },
    opts?: NormalizeOptions,
  ): ProtectedEntry | string {
    let value: string;
    if (kind === 'domain') {
      const d = normalizeDomain(raw);
      if (d.ok) value = d.value;
      else if (d.code === 'domain_no_registrable') {
        const u = canonicalizeUrl(`http://${raw.trim()}/`);
        if (!u.ok) return d.code;
        value = u.host;
      } else return d.code;
    } else if (kind === 'url') {
      const u = canonicalizeUrl(raw);
      if (!u.ok) return u.code;
      value = u.expression;
    } else {
      const r = normalizeIndicator(kind, raw, opts);
      if (!r.ok) return r.code;
      value = r.value;
    }
    const e: ProtectedEntry = { kind, value, label };
    this.add(e);
    return e;
  }

  remove(kind: IndicatorKind, value: string): boolean {
    const removed = this.entries.delete(key(kind, value));
    if (removed && kind === 'url') this.urlEntries--;
    return removed;
  }

  list(): ProtectedEntry[] {
    return [...this.entries.values()];
  }

  /** The exact entry for (kind, canonical value), or null. */
  get(kind: IndicatorKind, value: string): ProtectedEntry | null {
    return this.entries.get(key(kind, value)) ?? null;
  }

  /**
   * The entry protecting a party with this canonical value, or null. `url` (a canonical URL or an
   * expression): its host or a parent domain is protected, or its IP host, or one of its Safe
   * Browsing expressions is a protected url. `domain`: the name or a parent. Other kinds: exact.
   */
  protects(kind: IndicatorKind, value: string): ProtectedEntry | null {
    if (this.entries.size === 0) return null;
    if (kind === 'domain') return this.hostProtected(value);
    if (kind !== 'url') return this.get(kind, value);
    // A canonical URL or expression: the host runs from after the scheme to the first `/`.
    const hs = value.startsWith('http://') ? 7 : value.startsWith('https://') ? 8 : 0;
    let he = value.indexOf('/', hs);
    if (he < 0) he = value.length;
    const host = value.slice(hs, he);
    const byHost = host.startsWith('[')
      ? this.get('ip', host.slice(1, -1))
      : IPV4.test(host)
        ? this.get('ip', host)
        : this.hostProtected(host);
    if (byHost) return byHost;
    if (this.urlEntries > 0)
      for (const x of urlLookupExpressions(hs === 0 ? `http://${value}` : value)) {
        const e = this.get('url', x);
        if (e) return e;
      }
    return null;
  }

  private hostProtected(host: string): ProtectedEntry | null {
    let i = 0;
    for (;;) {
      const e = this.get('domain', i === 0 ? host : host.slice(i));
      if (e) return e;
      const dot = host.indexOf('.', i);
      if (dot === -1) return null;
      i = dot + 1;
    }
  }
}

const SHORT_CODE_LABELS: Partial<Record<ShortCodeCategory, { zh: string; en: string }>> = {
  emergency: { zh: '紧急求助电话', en: 'Emergency line' },
  anti_fraud: { zh: '反诈预警与举报专线', en: 'Anti-fraud warning line' },
  government: { zh: '政务服务热线', en: 'Government hotline' },
  bank_hotline: { zh: '银行官方客服热线', en: "Bank's published hotline" },
  operator_hotline: { zh: '运营商官方客服热线', en: "Operator's published hotline" },
};

/**
 * The built-in protected entries: CN emergency, anti-fraud, government, bank and operator short
 * numbers (from CN_SHORT_CODES), and every domain under `gov.cn`. Deployments add their institutions'
 * published long numbers, domains and collection accounts.
 */
export function defaultProtectedEntries(): ProtectedEntry[] {
  const out: ProtectedEntry[] = [];
  for (const [digits, info] of Object.entries(CN_SHORT_CODES)) {
    const label = SHORT_CODE_LABELS[info.category];
    if (label)
      out.push({
        kind: 'phone',
        value: `short:CN:${digits}`,
        label: { zh: `${label.zh}（${digits}）`, en: `${label.en} (${info.name}, ${digits})` },
      });
  }
  out.push({ kind: 'domain', value: 'gov.cn', label: { zh: '政府网站', en: 'Government website' } });
  return out;
}

export function defaultAllowlist(): Allowlist {
  return new Allowlist(defaultProtectedEntries());
}
