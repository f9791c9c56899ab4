import { sql, type Kysely, type Selectable } from 'kysely';
import { audit } from '../core/audit.ts';
import type { EventBus } from '../core/bus/index.ts';
import type { DB } from '../core/db/schema.ts';
import { badRequest, conflict, notFound } from '../core/errors.ts';
import type { Principal } from '../identity/model.ts';
import { isScamCategory } from '../registry/engine/taxonomy.ts';
import { canonicalIndicator, resolveSource, writeSubmissions, type Submission } from '../registry/service.ts';
import { contentIndicators } from './service.ts';
import type { CandidateStatus, ListingCandidatesTable } from './tables.ts';

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
  return rows.map(candidateView);
}

function candidateView(r: Selectable<ListingCandidatesTable>): CandidateView {
  return {
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
  };
}

/**
 * An analyst's decision on a held (or collecting) candidate. `release`: the reports are genuine;
 * every reporter so far goes to the registry as a `report` source (the registry's confidence and
 * review rules decide from there). `reject`: the candidate is closed and goes nowhere, whatever
 * comes later. Protected values stay protected.
 */
export async function decideCandidate(
  s: { db: Kysely<DB>; bus: Pick<EventBus, 'publish'> },
  actor: Principal,
  kind: string,
  value: string,
  decision: 'release' | 'reject',
  reason: string,
  now = Date.now(),
): Promise<CandidateView> {
  if (!reason.trim()) throw badRequest('reason_required', 'a decision needs a reason');
  await s.db.transaction().execute(async (tx) => {
    const c = await tx
      .selectFrom('listing_candidates')
      .selectAll()
      .where('kind', '=', kind)
      .where('value', '=', value)
      .forUpdate()
      .executeTakeFirst();
    if (!c) throw notFound('candidate');
    if (c.status === 'protected')
      throw conflict('candidate_protected', 'the value is on the allowlist: reports never list it');
    if (c.status === 'listed' || c.status === 'submitted' || c.status === 'rejected')
      throw conflict('candidate_decided', `the candidate is already ${c.status}`);
    let listingId: string | null = null;
    if (decision === 'release') {
      const canon = canonicalIndicator(kind, kind === 'url' ? `http://${value}` : value);
      if (!canon.ok) throw badRequest('invalid_candidate', canon.reason);
      const reporters = await tx
        .selectFrom('candidate_reporters')
        .select('reporter_key')
        .where('kind', '=', kind)
        .where('value', '=', value)
        .execute();
      const src = (key: string) => resolveSource({ kind: 'report', reporterRef: key.slice(0, 32) });
      const cat = isScamCategory(c.category) ? c.category : 'other';
      const subs: Submission[] = reporters.map((r) => ({
        kind: canon.kind,
        value: canon.value,
        host: canon.host,
        category: cat,
        source: src(r.reporter_key),
        evidence: [],
      }));
      if (subs.length) {
        const outcomes = await writeSubmissions(tx, s.bus, actor, subs, { now });
        listingId = outcomes.find((o) => o.listingId)?.listingId ?? null;
      }
    }
    await tx
      .updateTable('listing_candidates')
      .set({ status: decision === 'release' ? 'submitted' : 'rejected', listing_id: listingId })
      .where('kind', '=', kind)
      .where('value', '=', value)
      .execute();
    await audit(tx, actor, {
      action: `candidate.${decision}`,
      targetKind: 'listing_candidate',
      targetId: `${kind}:${value}`,
      details: { reason, previous: c.status, reporters: c.reporters },
    });
  });
  const [v] = (await listCandidatesWhere(s.db, kind, value)) ?? [];
  return v!;
}

async function listCandidatesWhere(db: Kysely<DB>, kind: string, value: string): Promise<CandidateView[]> {
  const rows = await db
    .selectFrom('listing_candidates')
    .selectAll()
    .where('kind', '=', kind)
    .where('value', '=', value)
    .execute();
  return rows.map(candidateView);
}
