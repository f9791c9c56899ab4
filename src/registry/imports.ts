import type { Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { audit, type Actor } from '../core/audit.ts';
import type { EventBus } from '../core/bus/index.ts';
import type { ImportSpec, Prepared } from '../core/importer/run.ts';
import type { NormalizeOptions } from '../core/normalize/index.ts';
import { defaultTrust } from './confidence.ts';
import { isScamCategory } from './engine/taxonomy.ts';
import { loadCompiledBrands, type CompiledBrand } from './lookalike.ts';
import { canonicalIndicator, MAX_EVIDENCE, writeSubmissions, type Submission } from './service.ts';
import { SOURCE_KINDS, type SourceKind } from './tables.ts';

/**
 * `interdict import listings <file>` (docs/formats.md, "Listings"): one listing per row,
 * `kind,value,category` required, `confidence,expires_at,evidence,source_ref` (and the
 * normalisation hints `institution,provider,platform`) optional. Every row is a submission by the
 * import's source (default kind `feed`): a value listed already is corroborated, never duplicated;
 * protected values go to the review queue like any other submission.
 *
 * `write` handles one row; `writeBatch` a whole batch with one statement per table
 * (service.ts writeSubmissions), which is what a 10-million-row file needs.
 */

export interface ListingImportOptions {
  /** Who the rows come from (default `feed`). */
  sourceKind?: SourceKind;
  /** The organisation that supplied the file (institution sources). */
  organisationId?: string | null;
  /** The source's reference for rows without `source_ref` (default `import`). */
  sourceRef?: string;
  /** Recorded in the history and the audit trail (default: system `import`). */
  actor?: Actor;
  now?: () => number;
}

export interface ListingImportSpec extends ImportSpec<Submission> {
  /** One multi-row write for the whole batch, in the batch's transaction. */
  writeBatch(tx: Kysely<DB>, rows: readonly Submission[]): Promise<void>;
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export const LISTING_COLUMNS = ['kind', 'value', 'category'] as const;
export const LISTING_OPTIONAL_COLUMNS = [
  'confidence',
  'expires_at',
  'evidence',
  'source_ref',
  'institution',
  'provider',
  'platform',
] as const;

export function listingImport(
  bus: Pick<EventBus, 'publish'>,
  opts: ListingImportOptions = {},
): ListingImportSpec {
  const sourceKind = opts.sourceKind ?? 'feed';
  if (!(SOURCE_KINDS as readonly string[]).includes(sourceKind))
    throw new Error(`unknown source kind ${sourceKind}`);
  const organisationId = opts.organisationId ?? null;
  const defaultRef = opts.sourceRef ?? 'import';
  const actor: Actor = opts.actor ?? { kind: 'system', name: 'import' };
  const now = opts.now ?? Date.now;
  let brands: CompiledBrand[] | undefined;

  async function write(tx: Kysely<DB>, rows: readonly Submission[]): Promise<void> {
    brands ??= await loadCompiledBrands(tx);
    const outcomes = await writeSubmissions(tx, bus, actor, rows, { brands, now: now() });
    const c = { listed: 0, corroborated: 0, relisted: 0, review: 0 };
    for (const o of outcomes) c[o.outcome]++;
    await audit(tx, actor, {
      action: 'listing.import',
      targetKind: 'listing',
      targetId: rows.length === 1 && outcomes[0]?.listingId ? outcomes[0].listingId : null,
      details: { rows: rows.length, source: sourceKind, ...c },
    });
  }

  return {
    kind: 'listings',
    required: LISTING_COLUMNS,
    prepare(r): Prepared<Submission> {
      const kind = (r.kind ?? '').trim();
      const raw = r.value ?? '';
      const hints: NormalizeOptions = {
        ...(r.institution ? { institution: r.institution } : {}),
        ...(r.provider ? { provider: r.provider } : {}),
        ...(r.platform ? { platform: r.platform } : {}),
      };
      const c = canonicalIndicator(kind, raw, hints);
      if (!c.ok)
        return {
          ok: false,
          reason: c.code === 'kind_unknown' ? `kind: ${c.reason}` : `value: ${c.code}: ${c.reason}`,
        };
      const category = (r.category ?? '').trim();
      if (!isScamCategory(category))
        return { ok: false, reason: `category: unknown scam category "${category.slice(0, 60)}"` };
      let trust = defaultTrust(sourceKind);
      if (r.confidence !== undefined && r.confidence.trim() !== '') {
        const t = Number(r.confidence);
        if (!(t >= 0 && t <= 1)) return { ok: false, reason: 'confidence: a number from 0 to 1' };
        trust = t;
      }
      let expiresAt: number | undefined;
      const exp = (r.expires_at ?? '').trim();
      if (exp) {
        const t = Date.parse(exp);
        if (!ISO_WITH_OFFSET.test(exp) || Number.isNaN(t))
          return { ok: false, reason: 'expires_at: not an ISO 8601 time with offset' };
        if (t <= now()) return { ok: false, reason: 'expires_at: in the past' };
        expiresAt = t;
      }
      const evidence: string[] = [];
      for (const e of (r.evidence ?? '').split(/[|,]/)) {
        const t = e.trim();
        if (!t) continue;
        if (t.length > 500) return { ok: false, reason: 'evidence: a reference is at most 500 characters' };
        if (!evidence.includes(t)) evidence.push(t);
      }
      const ref = (r.source_ref ?? '').trim() || defaultRef;
      if (ref.length > 200) return { ok: false, reason: 'source_ref: at most 200 characters' };
      return {
        ok: true,
        value: {
          kind: c.kind,
          value: c.value,
          host: c.host,
          category,
          source: { kind: sourceKind, organisationId, reporterRef: ref, trust },
          evidence: evidence.slice(0, MAX_EVIDENCE),
          ...(expiresAt !== undefined ? { expiresAt } : {}),
        },
      };
    },
    write: (tx, row) => write(tx, [row]),
    writeBatch: (tx, rows) => write(tx, rows),
  };
}
