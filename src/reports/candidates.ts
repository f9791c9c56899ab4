import { sql, type Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { contentIndicators } from './service.ts';
import type { CandidateStatus } from './tables.ts';

/**
 * Listing candidates fed by decisions: the links and numbers inside SMS texts the classifier read
 * as scams (the decision node keeps those texts; this moves them here). They only count messages:
 * a candidate from texts alone waits for reporters or an analyst, it never lists itself, because
 * a classifier's mistake must not block a number.
 */
export async function collectScamTexts(
  db: Kysely<DB>,
  texts: readonly { text: string; label: string }[],
  now = Date.now(),
): Promise<number> {
  const counts = new Map<string, { kind: string; value: string; category: string; n: number }>();
  for (const t of texts)
    for (const i of contentIndicators(t.text)) {
      const k = `${i.kind}\u0000${i.value}`;
      const c = counts.get(k);
      if (c) c.n++;
      else counts.set(k, { kind: i.kind, value: i.value, category: t.label, n: 1 });
    }
  if (counts.size === 0) return 0;
  const rows = [...counts.values()];
  const at = new Date(now);
  await sql`
    insert into listing_candidates (kind, value, category, reports, reporters, first_at, last_at, scam_texts)
    select u.kind, u.value, u.category, 0, 0, ${at}, ${at}, u.n
    from unnest(${rows.map((r) => r.kind)}::text[], ${rows.map((r) => r.value)}::text[],
                ${rows.map((r) => r.category)}::text[], ${rows.map((r) => r.n)}::int[]) as u(kind, value, category, n)
    on conflict (kind, value) do update set
      scam_texts = listing_candidates.scam_texts + excluded.scam_texts,
      last_at = excluded.last_at,
      category = case when listing_candidates.category = 'other' then excluded.category
                      else listing_candidates.category end`.execute(db);
  return rows.length;
}

export interface CandidateView {
  kind: string;
  value: string;
  category: string;
  reports: number;
  reporters: number;
  scamTexts: number;
  status: CandidateStatus;
  coordination: { reasons: string[]; score: number } | null;
  listingId: string | null;
  firstAt: string;
  lastAt: string;
}

export async function listCandidates(
  db: Kysely<DB>,
  opts: { status?: CandidateStatus; limit?: number } = {},
): Promise<CandidateView[]> {
  let q = db.selectFrom('listing_candidates').selectAll();
  if (opts.status) q = q.where('status', '=', opts.status);
  const rows = await q
    .orderBy('reporters', 'desc')
    .orderBy('scam_texts', 'desc')
    .orderBy('last_at', 'desc')
    .limit(Math.min(500, opts.limit ?? 100))
    .execute();
  return rows.map((r) => ({
    kind: r.kind,
    value: r.value,
    category: r.category,
    reports: r.reports,
    reporters: r.reporters,
    scamTexts: r.scam_texts,
    status: r.status,
    coordination: (typeof r.coordination === 'string' ? JSON.parse(r.coordination) : r.coordination) as
      CandidateView['coordination'] | null,
    listingId: r.listing_id,
    firstAt: new Date(r.first_at).toISOString(),
    lastAt: new Date(r.last_at).toISOString(),
  }));
}
