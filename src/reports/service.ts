import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { audit, type Actor } from '../core/audit.ts';
import type { EventBus } from '../core/bus/index.ts';
import type { DB } from '../core/db/schema.ts';
import { AppError, badRequest, conflict, notFound } from '../core/errors.ts';
import type { Principal } from '../identity/model.ts';
import type { PiiCipher } from '../privacy/crypto.ts';
import { piiContext } from '../privacy/crypto.ts';
import { maskPhone } from '../privacy/mask.ts';
import { normalizePhone } from '../core/normalize/index.ts';
import { findProtected } from '../registry/allowlist.ts';
import { isScamCategory, type ScamCategory } from '../registry/engine/taxonomy.ts';
import {
  canonicalIndicator,
  resolveSource,
  writeSubmissions,
  type CanonicalIndicator,
  type Submission,
} from '../registry/service.ts';
import { classifyReportText } from './classify.ts';
import { extractIndicators } from './extract.ts';
import { formatReceiptCode, newReceiptCode, parseReceiptCode } from './receipt.ts';
import type {
  AgeGroup,
  CandidateStatus,
  Classification,
  Loss,
  PaymentMethod,
  ReportChannel,
  ReportKind,
  ReportStatus,
} from './tables.ts';
import { coordinationOf, reporterWeight, reportUrgency, type ReporterFact } from './triage.ts';
import './events.ts';

/**
 * Reports (docs/reports.md): a citizen's or an institution's clue becomes a report with a receipt
 * code, the indicators it names and the ones found in its text, the classifier's reading, and an
 * urgency; each indicator's listing candidate counts its independent reporters. Candidates reach
 * the registry when enough reporters with a clean record agree and nothing looks coordinated, or
 * when an analyst confirms a report. Allowlisted values never go to the registry from reports.
 */

type Publisher = Pick<EventBus, 'publish'>;

/** Independent reporters (weighted by record) before a candidate goes to the registry. */
export const AUTO_SUBMIT_REPORTERS = 3;
/** Reports one reporter may file per day (public channel). */
export const DAILY_REPORTS_PER_REPORTER = 20;
export const MAX_CONTENT = 10_000;

export interface SubjectInput {
  phone?: string;
  url?: string;
  app?: { name?: string; package?: string; source?: string };
  account?: { value: string; institution?: string; provider?: string };
  internetAccount?: { platform: string; id: string };
}

export interface ReportInput {
  kind: ReportKind;
  subject?: SubjectInput;
  content?: string;
  occurredAt?: string;
  category?: string;
  loss?: { amount: string; currency?: string; paidAt?: string; method?: PaymentMethod; ongoing?: boolean };
  ageGroup?: AgeGroup;
  forRelative?: boolean;
  contactPhone?: string;
  language?: 'zh' | 'en';
}

/** Who files a report: a citizen known only by keyed hashes of network and device, or an institution. */
export type Reporter =
  | { channel: 'public'; reporterKey: string; networkKey: string }
  | { channel: 'institution'; principal: Principal; ref: string | null };

export interface Services {
  db: Kysely<DB>;
  bus: Publisher;
  pii: PiiCipher;
}

export interface FoundIndicator extends CanonicalIndicator {
  role: 'subject' | 'content';
}

// --- reading the input -----------------------------------------------------------------------------

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;

function subjectIndicators(kind: ReportKind, s: SubjectInput): FoundIndicator[] {
  const out: FoundIndicator[] = [];
  const take = (field: string, k: string, raw: string, opts = {}) => {
    const c = canonicalIndicator(k, raw, opts);
    if (!c.ok)
      throw badRequest('invalid_subject', `subject.${field}: ${c.reason}`, { field, normaliser: c.code });
    out.push({ kind: c.kind, value: c.value, host: c.host, role: 'subject' });
  };
  if (s.phone) take('phone', 'phone', s.phone);
  if (s.url) take('url', 'url', s.url);
  if (s.app?.package) take('app.package', 'app', s.app.package);
  if (s.account) {
    const asCard = canonicalIndicator('bank_account', s.account.value, {
      ...(s.account.institution ? { institution: s.account.institution } : {}),
    });
    if (asCard.ok) out.push({ kind: asCard.kind, value: asCard.value, host: null, role: 'subject' });
    else
      take(
        'account.value',
        'payment_account',
        s.account.value,
        s.account.provider ? { provider: s.account.provider } : {},
      );
  }
  if (s.internetAccount)
    take('internetAccount', 'internet_account', s.internetAccount.id, {
      platform: s.internetAccount.platform,
    });
  const has = (k: string) => out.some((i) => i.kind === k);
  const need: Partial<Record<ReportKind, [boolean, string]>> = {
    call: [has('phone'), 'a call report needs subject.phone: the number that called'],
    link: [has('url'), 'a link report needs subject.url'],
    account: [has('bank_account') || has('payment_account'), 'an account report needs subject.account.value'],
    internet_account: [has('internet_account'), 'an internet account report needs subject.internetAccount'],
  };
  const n = need[kind];
  if (n && !n[0]) throw badRequest('subject_missing', n[1]);
  return out;
}

/** Phones, links, cards and accounts written in the text (amounts stay in the report). */
export function contentIndicators(text: string): FoundIndicator[] {
  if (!text) return [];
  const x = extractIndicators(text);
  const out: FoundIndicator[] = [];
  const add = (kind: string, value: string) => {
    const c = canonicalIndicator(kind, value);
    if (c.ok) out.push({ kind: c.kind, value: c.value, host: c.host, role: 'content' });
  };
  for (const p of x.phones) if (!p.shortCode) add('phone', p.value);
  for (const u of x.urls) add('url', u.value);
  for (const c of x.bankCards) add('bank_account', c.value);
  for (const a of x.paymentAccounts) add('payment_account', a.value);
  for (const a of x.internetAccounts) add('internet_account', a.value);
  for (const a of x.apps) if (a.form === 'package') add('app', a.value);
  return out;
}

function mergeIndicators(a: readonly FoundIndicator[], b: readonly FoundIndicator[]): FoundIndicator[] {
  const seen = new Set<string>();
  const out: FoundIndicator[] = [];
  for (const i of [...a, ...b]) {
    const k = `${i.kind}\u0000${i.value}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(i);
  }
  return out;
}

function readLoss(l: ReportInput['loss']): Loss | null {
  if (!l) return null;
  const amount = String(l.amount).trim();
  if (!AMOUNT.test(amount))
    throw badRequest('invalid_loss', 'loss.amount: a decimal amount such as 5000 or 1234.50');
  if (l.paidAt && (!ISO_WITH_OFFSET.test(l.paidAt) || Number.isNaN(Date.parse(l.paidAt))))
    throw badRequest('invalid_loss', 'loss.paidAt: an ISO 8601 time with offset');
  const currency = (l.currency ?? 'CNY').toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency))
    throw badRequest('invalid_loss', 'loss.currency: a three-letter code such as CNY');
  return {
    amount,
    currency,
    paidAt: l.paidAt ?? null,
    method: l.method ?? null,
    ongoing: l.ongoing === true,
  };
}

// --- submitting ------------------------------------------------------------------------------------

export interface SubmitResult {
  id: string;
  receiptCode: string;
  status: ReportStatus;
  category: string;
  urgency: number;
  indicators: { kind: string; value: string; role: string }[];
  classification: { label: string; probability: number } | null;
  /** An institution's resubmission of a reference it sent before: nothing new was stored. */
  duplicate: boolean;
}

export async function submitReport(
  s: Services,
  input: ReportInput,
  by: Reporter,
  opts: { now?: number; requestId?: string } = {},
): Promise<SubmitResult> {
  const now = opts.now ?? Date.now();
  const content = (input.content ?? '').trim();
  if (content.length > MAX_CONTENT)
    throw badRequest('content_too_long', `content: at most ${MAX_CONTENT} characters`);
  if ((input.kind === 'sms' || input.kind === 'other') && !content && !input.subject?.phone)
    throw badRequest('content_missing', `a ${input.kind} report needs its text or a description in content`);
  if (
    input.occurredAt &&
    (!ISO_WITH_OFFSET.test(input.occurredAt) || Number.isNaN(Date.parse(input.occurredAt)))
  )
    throw badRequest('invalid_time', 'occurredAt: an ISO 8601 time with offset');
  if (input.category !== undefined && !isScamCategory(input.category))
    throw badRequest('invalid_category', `category: unknown scam category ${input.category}`);
  let contactPhone: string | null = null;
  if (input.contactPhone) {
    const p = normalizePhone(input.contactPhone, { defaultRegion: 'CN' });
    if (!p.ok) throw badRequest('invalid_contact', `contactPhone: ${p.reason}`);
    contactPhone = p.value;
  }
  const loss = readLoss(input.loss);
  const indicators = mergeIndicators(
    subjectIndicators(input.kind, input.subject ?? {}),
    contentIndicators(content),
  );
  const cls: Classification | null = content.length >= 4 ? classifyReportText(content) : null;
  const category =
    input.category ??
    (cls && cls.label !== 'normal' && cls.probability >= 0.5 && isScamCategory(cls.label)
      ? cls.label
      : 'other');
  const urgency = reportUrgency(
    { loss, ageGroup: input.ageGroup ?? null, forRelative: input.forRelative === true },
    now,
  );

  const { db } = s;
  // Inside a caller's transaction (a bulk import's batch) or in one of its own.
  const inTx = <T>(fn: (tx: Kysely<DB>) => Promise<T>) =>
    db.isTransaction ? fn(db) : db.transaction().execute(fn);
  return inTx(async (tx) => {
    let reporterKey: string;
    let networkKey: string;
    let organisationId: string | null = null;
    let ref: string | null = null;
    let actor: Actor;
    if (by.channel === 'public') {
      reporterKey = by.reporterKey;
      networkKey = by.networkKey;
      actor = { kind: 'system', name: 'public-report' };
      const recent = await tx
        .selectFrom('reports')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('reporter_key', '=', reporterKey)
        .where('created_at', '>', new Date(now - 86_400_000))
        .executeTakeFirstOrThrow();
      if (Number(recent.n) >= DAILY_REPORTS_PER_REPORTER)
        throw new AppError(
          429,
          'too_many_reports',
          `at most ${DAILY_REPORTS_PER_REPORTER} reports a day from one device; call 96110 for anything urgent`,
        );
    } else {
      organisationId = by.principal.organisationId;
      ref = by.ref;
      reporterKey = `org:${organisationId}`;
      networkKey = `org:${organisationId}`;
      actor = by.principal;
      if (ref) {
        const prev = await tx
          .selectFrom('reports')
          .select(['id'])
          .where('organisation_id', '=', organisationId)
          .where('external_ref', '=', ref)
          .executeTakeFirst();
        if (prev) return { ...(await submitResult(tx, prev.id)), duplicate: true };
      }
    }

    const id = crypto.randomUUID();
    const receipt = newReceiptCode();
    const contact = contactPhone
      ? s.pii.encrypt(contactPhone, piiContext('reports', 'contact_enc', id))
      : null;
    await tx
      .insertInto('reports')
      .values({
        id,
        receipt_code: receipt,
        channel: by.channel,
        kind: input.kind,
        organisation_id: organisationId,
        external_ref: ref,
        subject: JSON.stringify(input.subject ?? {}),
        content,
        occurred_at: input.occurredAt ?? null,
        category,
        classification: cls ? JSON.stringify(cls) : null,
        loss: loss ? JSON.stringify(loss) : null,
        age_group: input.ageGroup ?? null,
        for_relative: input.forRelative === true,
        contact_key_id: contact?.keyId ?? null,
        contact_enc: contact?.ciphertext ?? null,
        reporter_key: reporterKey,
        network_key: networkKey,
        urgency,
        status: 'open',
        language: input.language ?? (cls?.language === 'en' ? 'en' : 'zh'),
      })
      .execute();
    if (indicators.length)
      await tx
        .insertInto('report_indicators')
        .values(indicators.map((i) => ({ report_id: id, kind: i.kind, value: i.value, role: i.role })))
        .execute();
    await sql`
      insert into reporter_reputation (reporter_key, first_seen, reports) values (${reporterKey}, ${new Date(now)}, 1)
      on conflict (reporter_key) do update set reports = reporter_reputation.reports + 1`.execute(tx);

    const channel: ReportChannel = by.channel;
    if (channel === 'institution') {
      // An institution's clue is a source of its own: its subject goes to the registry at once.
      const subs = indicators.filter((i) => i.role === 'subject');
      if (subs.length)
        await submitToRegistry(
          tx,
          s.bus,
          actor,
          subs,
          category as ScamCategory,
          {
            kind: 'institution',
            organisationId,
            reporterRef: ref ?? id,
          },
          now,
        );
    } else {
      await countReporters(tx, s.bus, indicators, category, reporterKey, networkKey, now);
    }
    await s.bus.publish(
      tx,
      'report.received',
      {
        id,
        kind: input.kind,
        channel,
        category,
        urgency,
        indicators: indicators.length,
        lostMoney: loss !== null,
      },
      { key: id },
    );
    await audit(
      tx,
      actor,
      {
        action: 'report.receive',
        targetKind: 'report',
        targetId: id,
        details: { kind: input.kind, channel, category, urgency, indicators: indicators.length },
      },
      opts.requestId,
    );
    return { ...(await submitResult(tx, id)), duplicate: false };
  });
}

async function submitResult(q: Kysely<DB>, id: string): Promise<Omit<SubmitResult, 'duplicate'>> {
  const r = await q
    .selectFrom('reports')
    .select(['id', 'receipt_code', 'status', 'category', 'urgency', 'classification'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  const inds = await q
    .selectFrom('report_indicators')
    .select(['kind', 'value', 'role'])
    .where('report_id', '=', id)
    .execute();
  const cls = r.classification as Classification | null;
  return {
    id: r.id,
    receiptCode: formatReceiptCode(r.receipt_code),
    status: r.status,
    category: r.category,
    urgency: r.urgency,
    indicators: inds,
    classification: cls ? { label: cls.label, probability: cls.probability } : null,
  };
}

async function submitToRegistry(
  tx: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  inds: readonly CanonicalIndicator[],
  category: ScamCategory,
  source: Parameters<typeof resolveSource>[0],
  now: number,
): Promise<Map<string, string | null>> {
  const src = resolveSource(source);
  const subs: Submission[] = inds.map((i) => ({ ...i, category, source: src, evidence: [] }));
  const outcomes = await writeSubmissions(tx, bus, actor, subs, { now });
  const out = new Map<string, string | null>();
  inds.forEach((i, n) => out.set(`${i.kind}\u0000${i.value}`, outcomes[n]?.listingId ?? null));
  return out;
}

/**
 * Counts the reporter on each indicator's candidate, then decides what the candidate needs: keep
 * collecting, hold it (coordinated reports), mark it protected (allowlist), or go to the registry
 * (enough independent reporters), each new reporter after that corroborating the listing.
 */
async function countReporters(
  tx: Kysely<DB>,
  bus: Publisher,
  inds: readonly FoundIndicator[],
  category: string,
  reporterKey: string,
  networkKey: string,
  now: number,
): Promise<void> {
  const at = new Date(now);
  for (const i of inds) {
    const added = await sql<{ kind: string }>`
      insert into candidate_reporters (kind, value, reporter_key, network_key, first_at)
      values (${i.kind}, ${i.value}, ${reporterKey}, ${networkKey}, ${at})
      on conflict do nothing returning kind`.execute(tx);
    const isNew = added.rows.length === 1;
    const c = await sql<{ status: CandidateStatus; reporters: number; category: string }>`
      insert into listing_candidates (kind, value, category, reports, reporters, first_at, last_at)
      values (${i.kind}, ${i.value}, ${category}, 1, ${isNew ? 1 : 0}, ${at}, ${at})
      on conflict (kind, value) do update set
        reports = listing_candidates.reports + 1,
        reporters = listing_candidates.reporters + ${isNew ? 1 : 0},
        last_at = ${at},
        category = case when listing_candidates.category = 'other' then excluded.category
                        else listing_candidates.category end
      returning status, reporters, category`.execute(tx);
    const cand = c.rows[0]!;
    if (!isNew) continue;
    if (cand.status === 'held' || cand.status === 'protected' || cand.status === 'rejected') continue;

    const facts = await sql<{ network_key: string; first_at: Date; first_seen: Date; standing: number }>`
      select cr.network_key, cr.first_at, coalesce(rr.first_seen, cr.first_at) as first_seen,
             coalesce(rr.confirmed - rr.rejected, 0) as standing
      from candidate_reporters cr left join reporter_reputation rr using (reporter_key)
      where cr.kind = ${i.kind} and cr.value = ${i.value}`.execute(tx);
    const rf: ReporterFact[] = facts.rows.map((f) => ({
      networkKey: f.network_key,
      reportedAt: new Date(f.first_at).getTime(),
      firstSeen: new Date(f.first_seen).getTime(),
      standing: Number(f.standing),
    }));
    const coordination = coordinationOf(rf);
    if (coordination) {
      await tx
        .updateTable('listing_candidates')
        .set({ status: 'held', coordination: JSON.stringify(coordination) })
        .where('kind', '=', i.kind)
        .where('value', '=', i.value)
        .execute();
      await bus.publish(
        tx,
        'report.candidate_held',
        { kind: i.kind, value: i.value, reporters: rf.length, reasons: coordination.reasons },
        { key: `${i.kind}:${i.value}` },
      );
      continue;
    }
    const weight = rf.reduce((w, f) => w + reporterWeight(f.standing), 0);
    if (cand.status === 'collecting' && weight < AUTO_SUBMIT_REPORTERS) continue;
    const [hit] = await findProtected(tx, [
      { kind: i.kind, value: i.value, host: i.kind === 'domain' ? i.value : i.host },
    ]);
    if (hit) {
      await tx
        .updateTable('listing_candidates')
        .set({ status: 'protected' })
        .where('kind', '=', i.kind)
        .where('value', '=', i.value)
        .execute();
      continue;
    }
    const actor: Actor = { kind: 'system', name: 'public-reports' };
    const cat = isScamCategory(cand.category) ? cand.category : 'other';
    // The first time, every reporter so far is a source; afterwards, the new one.
    const reporters =
      cand.status === 'collecting'
        ? (
            await tx
              .selectFrom('candidate_reporters')
              .select('reporter_key')
              .where('kind', '=', i.kind)
              .where('value', '=', i.value)
              .execute()
          ).map((r) => r.reporter_key)
        : [reporterKey];
    let listingId: string | null = null;
    for (const key of reporters) {
      const ids = await submitToRegistry(
        tx,
        bus,
        actor,
        [i],
        cat,
        { kind: 'report', reporterRef: key.slice(0, 32) },
        now,
      );
      listingId = ids.get(`${i.kind}\u0000${i.value}`) ?? listingId;
    }
    await tx
      .updateTable('listing_candidates')
      .set({ status: 'submitted', listing_id: listingId })
      .where('kind', '=', i.kind)
      .where('value', '=', i.value)
      .execute();
  }
}

// --- the receipt -------------------------------------------------------------------------------------

export interface Receipt {
  receiptCode: string;
  kind: ReportKind;
  status: ReportStatus;
  receivedAt: string;
  updatedAt: string;
  category: string;
  evidence: number;
  /** What the reporter is told, in both languages. */
  message: { zh: string; en: string };
  note: string | null;
}

const RECEIPT_MESSAGES: Record<ReportStatus, { zh: string; en: string }> = {
  open: {
    zh: '已收到您的举报，正在核查。如正在被骗或已转账，请立即拨打 110 或 96110。',
    en: 'Your report was received and is being checked. If you are being scammed right now or have paid, call 110 or 96110 now.',
  },
  confirmed: {
    zh: '举报已核实，相关号码、链接或账号已登记并处置。感谢您的举报。',
    en: 'Your report was confirmed; the number, link or account is now registered and acted on. Thank you.',
  },
  rejected: {
    zh: '经核查，暂不能认定为诈骗。如有新的证据，可再次举报。',
    en: 'After checking, this could not be confirmed as fraud. You can report again with new evidence.',
  },
  merged: {
    zh: '您的举报与其他举报为同一线索，已合并处理。',
    en: 'Your report concerns the same case as other reports and is handled with them.',
  },
};

export async function getReceipt(db: Kysely<DB>, typed: string): Promise<Receipt> {
  const code = parseReceiptCode(typed);
  if (!code)
    throw badRequest('invalid_receipt', 'a receipt code has 12 letters and digits, e.g. 7K2Q-9QX4-M3PA');
  const r = await db
    .selectFrom('reports')
    .select([
      'id',
      'receipt_code',
      'kind',
      'status',
      'created_at',
      'updated_at',
      'category',
      'public_note',
      'merged_into',
    ])
    .where('receipt_code', '=', code)
    .executeTakeFirst();
  if (!r) throw notFound('receipt');
  // A merged report shows the status of the report it joined.
  let status = r.status;
  if (r.status === 'merged' && r.merged_into) {
    const m = await db
      .selectFrom('reports')
      .select('status')
      .where('id', '=', r.merged_into)
      .executeTakeFirst();
    if (m && m.status !== 'open') status = m.status;
  }
  const ev = await db
    .selectFrom('report_evidence')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('report_id', '=', r.id)
    .executeTakeFirstOrThrow();
  return {
    receiptCode: formatReceiptCode(r.receipt_code),
    kind: r.kind,
    status,
    receivedAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    category: r.category,
    evidence: Number(ev.n),
    message: RECEIPT_MESSAGES[status],
    note: r.public_note,
  };
}

export async function reportIdForReceipt(
  db: Kysely<DB>,
  typed: string,
): Promise<{ id: string; status: ReportStatus; createdAt: Date }> {
  const code = parseReceiptCode(typed);
  if (!code)
    throw badRequest('invalid_receipt', 'a receipt code has 12 letters and digits, e.g. 7K2Q-9QX4-M3PA');
  const r = await db
    .selectFrom('reports')
    .select(['id', 'status', 'created_at'])
    .where('receipt_code', '=', code)
    .executeTakeFirst();
  if (!r) throw notFound('receipt');
  return { id: r.id, status: r.status, createdAt: new Date(r.created_at) };
}

// --- the triage queue ------------------------------------------------------------------------------

export interface QueueItem {
  id: string;
  receiptCode: string;
  kind: ReportKind;
  channel: ReportChannel;
  category: string;
  status: ReportStatus;
  urgency: number;
  /** Independent reporters of the most-reported indicator of this report. */
  reporters: number;
  /** urgency + reporters, the order of the queue. */
  priority: number;
  lostMoney: boolean;
  /** The victim is paying now, or about to. */
  moneyLostNow: boolean;
  amount: string | null;
  ageGroup: AgeGroup | null;
  held: boolean;
  summary: string;
  createdAt: string;
}

export async function listReports(
  db: Kysely<DB>,
  opts: { status?: ReportStatus; kind?: ReportKind; category?: string; limit?: number } = {},
): Promise<QueueItem[]> {
  const limit = Math.min(500, opts.limit ?? 100);
  const rows = await sql<{
    id: string;
    receipt_code: string;
    kind: ReportKind;
    channel: ReportChannel;
    category: string;
    status: ReportStatus;
    urgency: number;
    reporters: number;
    held: boolean;
    loss: Loss | null;
    age_group: AgeGroup | null;
    content: string;
    subject: Record<string, unknown>;
    created_at: Date;
  }>`
    select r.id, r.receipt_code, r.kind, r.channel, r.category, r.status, r.urgency, r.loss, r.age_group,
           left(r.content, 200) as content, r.subject, r.created_at,
           coalesce(c.reporters, 0)::int as reporters, coalesce(c.held, false) as held
    from reports r
    left join lateral (
      select max(lc.reporters) as reporters, bool_or(lc.status = 'held') as held
      from report_indicators ri join listing_candidates lc on lc.kind = ri.kind and lc.value = ri.value
      where ri.report_id = r.id) c on true
    where r.status = ${opts.status ?? 'open'}
      ${opts.kind ? sql`and r.kind = ${opts.kind}` : sql``}
      ${opts.category ? sql`and r.category = ${opts.category}` : sql``}
    order by r.urgency + least(coalesce(c.reporters, 0), 20) * 2 desc, r.created_at
    limit ${limit}`.execute(db);
  return rows.rows.map((r) => {
    const loss = typeof r.loss === 'string' ? (JSON.parse(r.loss) as Loss) : r.loss;
    const subject = (typeof r.subject === 'string' ? JSON.parse(r.subject) : r.subject) as SubjectInput;
    return {
      id: r.id,
      receiptCode: formatReceiptCode(r.receipt_code),
      kind: r.kind,
      channel: r.channel,
      category: r.category,
      status: r.status,
      urgency: r.urgency,
      reporters: Number(r.reporters),
      priority: r.urgency + Math.min(Number(r.reporters), 20) * 2,
      lostMoney: loss !== null,
      moneyLostNow: loss?.ongoing === true,
      amount: loss ? `${loss.amount} ${loss.currency}` : null,
      ageGroup: r.age_group,
      held: r.held === true,
      summary: summaryOf(subject, r.content),
      createdAt: new Date(r.created_at).toISOString(),
    };
  });
}

function summaryOf(s: SubjectInput, content: string): string {
  const what =
    s.phone ??
    s.url ??
    s.app?.name ??
    s.app?.package ??
    s.account?.value ??
    (s.internetAccount ? `${s.internetAccount.platform}:${s.internetAccount.id}` : '');
  const text = content.replace(/\s+/g, ' ').slice(0, 120);
  return [what, text].filter(Boolean).join(' · ');
}

export interface ReportDetail {
  id: string;
  receiptCode: string;
  kind: ReportKind;
  channel: ReportChannel;
  organisationId: string | null;
  externalRef: string | null;
  subject: SubjectInput;
  content: string;
  occurredAt: string | null;
  category: string;
  classification: Classification | null;
  loss: Loss | null;
  ageGroup: AgeGroup | null;
  forRelative: boolean;
  /** Masked; the full number is not shown in the console. */
  contact: string | null;
  urgency: number;
  status: ReportStatus;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  publicNote: string | null;
  mergedInto: string | null;
  createdAt: string;
  indicators: {
    kind: string;
    value: string;
    role: string;
    candidate: {
      status: CandidateStatus;
      reports: number;
      reporters: number;
      coordination: { reasons: string[]; score: number } | null;
      listingId: string | null;
    } | null;
    listing: { id: string; status: string; confidence: number; category: string } | null;
  }[];
  evidence: {
    id: string;
    fileName: string;
    mediaType: string;
    size: number;
    sha256: string;
    createdAt: string;
  }[];
  /** Other open reports naming one of the same indicators (merge candidates). */
  related: { id: string; receiptCode: string; status: ReportStatus; createdAt: string }[];
}

export async function getReport(s: Services, id: string): Promise<ReportDetail> {
  const { db } = s;
  const r = await db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw notFound('report');
  const inds = await sql<{
    kind: string;
    value: string;
    role: string;
    c_status: CandidateStatus | null;
    reports: number | null;
    reporters: number | null;
    coordination: unknown;
    listing_id: string | null;
    l_id: string | null;
    l_status: string | null;
    l_confidence: number | null;
    l_category: string | null;
  }>`
    select ri.kind, ri.value, ri.role, lc.status as c_status, lc.reports, lc.reporters, lc.coordination,
           lc.listing_id, l.id as l_id, l.status as l_status, l.confidence as l_confidence, l.category as l_category
    from report_indicators ri
    left join listing_candidates lc on lc.kind = ri.kind and lc.value = ri.value
    left join listings l on l.kind = ri.kind and l.value = ri.value
    where ri.report_id = ${id}
    order by ri.role desc, ri.kind, ri.value`.execute(db);
  const evidence = await db
    .selectFrom('report_evidence')
    .selectAll()
    .where('report_id', '=', id)
    .orderBy('created_at')
    .execute();
  const related = await sql<{ id: string; receipt_code: string; status: ReportStatus; created_at: Date }>`
    select distinct r2.id, r2.receipt_code, r2.status, r2.created_at
    from report_indicators a join report_indicators b on a.kind = b.kind and a.value = b.value and b.report_id <> a.report_id
    join reports r2 on r2.id = b.report_id
    where a.report_id = ${id} and r2.status in ('open', 'confirmed')
    order by r2.created_at limit 50`.execute(db);
  let contact: string | null = null;
  if (r.contact_enc && r.contact_key_id) {
    try {
      contact = maskPhone(
        s.pii.decrypt(r.contact_key_id, r.contact_enc, piiContext('reports', 'contact_enc', id)),
      );
    } catch {
      contact = '(unreadable)';
    }
  }
  const j = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    id: r.id,
    receiptCode: formatReceiptCode(r.receipt_code),
    kind: r.kind,
    channel: r.channel,
    organisationId: r.organisation_id,
    externalRef: r.external_ref,
    subject: j<SubjectInput>(r.subject),
    content: r.content,
    occurredAt: iso(r.occurred_at),
    category: r.category,
    classification: j<Classification | null>(r.classification),
    loss: j<Loss | null>(r.loss),
    ageGroup: r.age_group,
    forRelative: r.for_relative,
    contact,
    urgency: r.urgency,
    status: r.status,
    decidedBy: r.decided_by,
    decidedAt: iso(r.decided_at),
    decisionReason: r.decision_reason,
    publicNote: r.public_note,
    mergedInto: r.merged_into,
    createdAt: new Date(r.created_at).toISOString(),
    indicators: inds.rows.map((i) => ({
      kind: i.kind,
      value: i.value,
      role: i.role,
      candidate: i.c_status
        ? {
            status: i.c_status,
            reports: Number(i.reports),
            reporters: Number(i.reporters),
            coordination: j<{ reasons: string[]; score: number } | null>(i.coordination),
            listingId: i.listing_id,
          }
        : null,
      listing: i.l_id
        ? { id: i.l_id, status: i.l_status!, confidence: Number(i.l_confidence), category: i.l_category! }
        : null,
    })),
    evidence: evidence.map((e) => ({
      id: e.id,
      fileName: e.file_name,
      mediaType: e.media_type,
      size: e.size,
      sha256: e.sha256,
      createdAt: new Date(e.created_at).toISOString(),
    })),
    related: related.rows.map((x) => ({
      id: x.id,
      receiptCode: formatReceiptCode(x.receipt_code),
      status: x.status,
      createdAt: new Date(x.created_at).toISOString(),
    })),
  };
}

// --- deciding ----------------------------------------------------------------------------------------

export interface ReportDecision {
  decision: 'confirm' | 'reject' | 'merge';
  reason: string;
  category?: string;
  mergeInto?: string;
  /** Shown to the reporter on the receipt page. */
  publicNote?: string;
}

/**
 * An analyst's decision. Confirm: the report's indicators go to the registry as the analyst's
 * listing (allowlisted ones to its review queue), candidates are marked listed, the reporter's
 * record improves. Reject: with a reason; the reporter's record worsens, held candidates are
 * rejected with it. Merge: into another report of the same case.
 */
export async function decideReport(
  s: Services,
  actor: Principal,
  id: string,
  d: ReportDecision,
  opts: { requestId?: string; now?: number } = {},
): Promise<ReportDetail> {
  const reason = d.reason.trim();
  if (!reason) throw badRequest('reason_required', 'a decision needs a reason');
  if (d.category !== undefined && !isScamCategory(d.category))
    throw badRequest('invalid_category', `category: unknown scam category ${d.category}`);
  const now = opts.now ?? Date.now();
  await s.db.transaction().execute(async (tx) => {
    const r = await tx
      .selectFrom('reports')
      .select(['id', 'status', 'category', 'reporter_key', 'channel'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!r) throw notFound('report');
    if (r.status !== 'open') throw conflict('report_decided', `the report is already ${r.status}`);
    const category = (d.category ?? r.category) as ScamCategory;
    let status: ReportStatus;
    let mergedInto: string | null = null;
    if (d.decision === 'merge') {
      if (!d.mergeInto) throw badRequest('merge_target_missing', 'mergeInto: the report this one joins');
      if (d.mergeInto === id) throw badRequest('merge_self', 'a report cannot be merged into itself');
      const t = await tx
        .selectFrom('reports')
        .select(['status'])
        .where('id', '=', d.mergeInto)
        .executeTakeFirst();
      if (!t) throw notFound('report to merge into');
      if (t.status === 'merged' || t.status === 'rejected')
        throw conflict('merge_target_closed', `the report to merge into is ${t.status}`);
      status = 'merged';
      mergedInto = d.mergeInto;
    } else if (d.decision === 'confirm') {
      status = 'confirmed';
      const inds = await tx
        .selectFrom('report_indicators')
        .select(['kind', 'value'])
        .where('report_id', '=', id)
        .execute();
      const canon: CanonicalIndicator[] = [];
      for (const i of inds) {
        const c = canonicalIndicator(i.kind, i.kind === 'url' ? `http://${i.value}` : i.value);
        if (c.ok) canon.push({ kind: c.kind, value: c.value, host: c.host });
      }
      if (canon.length) {
        const ids = await submitToRegistry(
          tx,
          s.bus,
          actor,
          canon,
          category,
          {
            kind: 'analyst',
            organisationId: actor.organisationId,
            reporterRef: actor.id,
          },
          now,
        );
        for (const c of canon)
          await tx
            .updateTable('listing_candidates')
            .set({ status: 'listed', listing_id: ids.get(`${c.kind}\u0000${c.value}`) ?? null })
            .where('kind', '=', c.kind)
            .where('value', '=', c.value)
            .execute();
      }
      await tx
        .updateTable('reporter_reputation')
        .set((eb) => ({ confirmed: eb('confirmed', '+', 1) }))
        .where('reporter_key', '=', r.reporter_key)
        .execute();
    } else {
      status = 'rejected';
      await tx
        .updateTable('reporter_reputation')
        .set((eb) => ({ rejected: eb('rejected', '+', 1) }))
        .where('reporter_key', '=', r.reporter_key)
        .execute();
      await sql`
        update listing_candidates lc set status = 'rejected'
        from report_indicators ri
        where ri.report_id = ${id} and lc.kind = ri.kind and lc.value = ri.value and lc.status = 'held'`.execute(
        tx,
      );
    }
    await tx
      .updateTable('reports')
      .set({
        status,
        category,
        decided_by: actor.name,
        decided_at: new Date(now),
        decision_reason: reason,
        public_note: d.publicNote?.trim() || null,
        merged_into: mergedInto,
        updated_at: new Date(now),
      })
      .where('id', '=', id)
      .execute();
    await s.bus.publish(tx, 'report.decided', { id, decision: d.decision, status, category }, { key: id });
    await audit(
      tx,
      actor,
      {
        action: `report.${d.decision}`,
        targetKind: 'report',
        targetId: id,
        details: { category, reason, ...(mergedInto ? { mergedInto } : {}) },
      },
      opts.requestId,
    );
  });
  return getReport(s, id);
}

/** The rows of reports with this status (CLI listing). */
export async function countReports(db: Kysely<DB>): Promise<Record<ReportStatus, number>> {
  const rows = await db
    .selectFrom('reports')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const out: Record<ReportStatus, number> = { open: 0, confirmed: 0, rejected: 0, merged: 0 };
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}
