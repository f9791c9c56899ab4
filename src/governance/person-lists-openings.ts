import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { AppError } from '../core/errors.ts';
import type { Principal } from '../identity/model.ts';
import type { PiiCipher } from '../privacy/crypto.ts';
import { ID_TYPES, parseIdentityDocument } from '../privacy/idnumber.ts';
import { idNumberHash } from '../privacy/service.ts';
import { LEGAL_BASES } from './catalogue.ts';
import { recordListingReads } from './person-lists.ts';
import type { CreditRestriction } from './person-lists-tables.ts';

/**
 * Card and account openings against the credit-punishment list (docs/governance.md, "Opening
 * decisions"). The decision route asks this only for events that name an `applicant`: openings are
 * few, so one database read per request is fine, and every other decision keeps its in-memory path.
 *
 * - Listed (active, within its term) with the restriction for the opening (`new_cards` for a card,
 *   `new_accounts` for an account at a bank, `new_internet_accounts` at an internet service):
 *   `block`, reason `credit_punishment`.
 * - Basic services are kept: a listed person holding no active phone card may open one, and a
 *   listed person holding no bank account (none not closed) may open one, flagged `review`
 *   (reason `credit_punishment_basic_service`) so the institution checks in person and limits it.
 * - Exit restriction never affects an opening and never appears in a decision.
 * - Each listing read is recorded in the personal-data access log (purpose `opening_decision`).
 */

export const OPENING_PURPOSE = 'opening_decision';
export const OPENING_KINDS = ['card_opening', 'account_opening'] as const;
export type OpeningKind = (typeof OPENING_KINDS)[number];

/** The person applying for a card or account (openings only; 400 on other events). */
export const ApplicantSchema = z
  .strictObject({
    id_number: z.string().trim().min(1).max(64).describe('the identity number, or `type:value`'),
    id_type: z.enum(ID_TYPES).optional().describe('default prc_resident'),
  })
  .describe(
    'card_opening and account_opening only: checked against the credit-punishment list (docs/governance.md)',
  );
export type Applicant = z.infer<typeof ApplicantSchema>;

export interface OpeningCheck {
  /** The event's position in the request: the outcome is keyed by it. */
  index: number;
  kind: OpeningKind;
  applicant: Applicant;
  /** Names the event in errors (`applicant`, `events[3].applicant`). */
  label: string;
}

export interface OpeningReason {
  code: 'credit_punishment' | 'credit_punishment_basic_service';
  zh: string;
  en: string;
}

export interface OpeningOutcome {
  action: 'block' | 'review';
  reason: OpeningReason;
}

/** Which restriction an opening meets: the kind of event, and for accounts the kind of institution asking. */
export function restrictionFor(
  kind: OpeningKind,
  reader: Pick<Principal, 'organisationKind'>,
): CreditRestriction {
  if (kind === 'card_opening') return 'new_cards';
  return reader.organisationKind === 'internet_service' ? 'new_internet_accounts' : 'new_accounts';
}

const dayIn = (d: Date) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(d);

const NOUNS: Record<CreditRestriction, { zh: string; en: string; held: { zh: string; en: string } }> = {
  new_cards: { zh: '电话卡', en: 'phone cards', held: { zh: '有效电话卡', en: 'active phone card' } },
  new_accounts: { zh: '银行账户', en: 'accounts', held: { zh: '银行账户', en: 'bank account' } },
  new_internet_accounts: {
    zh: '互联网账号',
    en: 'internet accounts',
    held: { zh: '互联网账号', en: 'internet account' },
  },
  non_counter_services: { zh: '非柜面业务', en: 'non-counter services', held: { zh: '账户', en: 'account' } },
};

/** The reason an applicant is refused (or flagged): what, on which article, until when, and how to appeal. */
export function openingReason(
  outcome: 'block' | 'review',
  restriction: CreditRestriction,
  listing: { id: string; legalBasis: string; endsAt: Date },
): OpeningReason {
  const basis = LEGAL_BASES.find((b) => b.id === listing.legalBasis);
  const article = basis?.article ?? 31;
  const until = dayIn(listing.endsAt);
  const n = NOUNS[restriction];
  const why = {
    zh: `申请人因非法买卖、出租、出借电话卡或账户被列入信用惩戒名单（依据《反电信网络诈骗法》第${article}条），期限至 ${until}`,
    en: `The applicant is under credit punishment for selling, renting or lending cards or accounts (Anti-Telecom and Online Fraud Law, art. ${article}) until ${until}`,
  };
  const appeal = {
    zh: `如有异议，可向作出决定的反诈中心申诉（名单编号 ${listing.id}）。`,
    en: `To appeal, contact the anti-fraud centre that designated it (listing ${listing.id}).`,
  };
  if (outcome === 'block')
    return {
      code: 'credit_punishment',
      zh: `${why.zh}，暂停办理新${n.zh}。${appeal.zh}`,
      en: `${why.en}: no new ${n.en}. ${appeal.en}`,
    };
  return {
    code: 'credit_punishment_basic_service',
    zh: `${why.zh}；其名下暂无${n.held.zh}，为保障基本服务可办理一个，请当面核验并限制功能。${appeal.zh}`,
    en: `${why.en}, but holds no ${n.held.en}: one may be opened as a basic service, after a check in person and with limited functions. ${appeal.en}`,
  };
}

/**
 * The outcome for each opening whose applicant is on the credit-punishment list with the matching
 * restriction (by the check's `index`); openings not affected are absent. A malformed id number
 * is a 400 naming the event.
 */
export async function checkOpenings(
  s: { db: Kysely<DB>; pii: PiiCipher },
  reader: Principal,
  checks: readonly OpeningCheck[],
  opts: { requestId?: string; now?: number } = {},
): Promise<Map<number, OpeningOutcome>> {
  const out = new Map<number, OpeningOutcome>();
  if (checks.length === 0) return out;
  const now = new Date(opts.now ?? Date.now());
  const keys = checks.map((c) => {
    try {
      const doc = parseIdentityDocument(
        c.applicant.id_number,
        c.applicant.id_type ? { type: c.applicant.id_type } : {},
      );
      return idNumberHash(s.pii, doc.type, doc.value);
    } catch (err) {
      if (err instanceof AppError) throw new AppError(400, err.code, `${c.label}: ${err.message}`);
      throw err;
    }
  });
  await s.db.transaction().execute(async (tx) => {
    const rows = await tx
      .selectFrom('person_listings')
      .select(['id', 'person_id', 'person_key', 'restrictions', 'legal_basis', 'ends_at'])
      .where('list', '=', 'credit_punishment')
      .where('status', '=', 'active')
      .where('person_key', 'in', [...new Set(keys)])
      .where('starts_at', '<=', now)
      .where('ends_at', '>', now)
      .execute();
    if (rows.length === 0) return;
    const byKey = new Map(rows.map((r) => [r.person_key, r]));
    const reads = new Map<string, { row: (typeof rows)[number]; fields: Set<string> }>();
    const held = new Map<string, boolean>();
    for (const [i, c] of checks.entries()) {
      const r = byKey.get(keys[i]!);
      if (!r) continue;
      const read = reads.get(r.id) ?? { row: r, fields: new Set(['personList']) };
      reads.set(r.id, read);
      const restriction = restrictionFor(c.kind, reader);
      if (!r.restrictions.includes(restriction)) continue;
      let holds = true;
      if (restriction === 'new_cards' || restriction === 'new_accounts') {
        const k = `${r.person_id}:${restriction}`;
        if (!held.has(k)) held.set(k, await holdsAny(tx, r.person_id, restriction));
        holds = held.get(k)!;
        read.fields.add(restriction === 'new_cards' ? 'phoneCards' : 'bankAccounts');
      }
      const action = holds ? 'block' : 'review';
      out.set(c.index, {
        action,
        reason: openingReason(action, restriction, {
          id: r.id,
          legalBasis: r.legal_basis,
          endsAt: new Date(r.ends_at),
        }),
      });
    }
    for (const { row, fields } of reads.values())
      await recordListingReads(
        tx,
        reader,
        [{ id: row.id, person_id: row.person_id }],
        [...fields],
        OPENING_PURPOSE,
        false,
        opts.requestId,
      );
  });
  return out;
}

/** Whether the person holds an active phone card (new_cards) or a bank account not closed (new_accounts). */
async function holdsAny(tx: Kysely<DB>, personId: string, restriction: 'new_cards' | 'new_accounts') {
  const row =
    restriction === 'new_cards'
      ? await tx
          .selectFrom('phone_cards')
          .select('id')
          .where('holder_person_id', '=', personId)
          .where('status', '=', 'active')
          .limit(1)
          .executeTakeFirst()
      : await tx
          .selectFrom('bank_accounts')
          .select('id')
          .where('holder_person_id', '=', personId)
          .where('status', '!=', 'closed')
          .limit(1)
          .executeTakeFirst();
  return row !== undefined;
}

const SEVERITY = ['allow', 'warn', 'review', 'block'] as const;

/** The engine's decision with the list's outcome added: the severer action, the list's reason last. */
export function withOpeningOutcome<D extends { action: string; reasons: readonly unknown[] }>(
  d: D,
  o: OpeningOutcome | undefined,
): D {
  if (!o) return d;
  const sev = (a: string) => SEVERITY.indexOf(a as (typeof SEVERITY)[number]);
  return {
    ...d,
    action: sev(o.action) > sev(d.action) ? o.action : d.action,
    reasons: [...d.reasons, o.reason],
  };
}
