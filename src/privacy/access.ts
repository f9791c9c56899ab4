import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { AppError, forbidden, notFound } from '../core/errors.ts';
import type { Principal } from '../identity/model.ts';
import { piiContext, type PiiCipher } from './crypto.ts';
import { ageOn, parseIdentityDocument, type IdType } from './idnumber.ts';
import { maskAccount, maskIdNumber, maskName, maskPhone } from './mask.ts';
import { normaliseAccount, normaliseMsisdn } from './normalise.ts';
import { decide, parsePurpose, type Purpose, type Reader } from './policy.ts';
import type { AccountStatus, AccountType, CardStatus, CardType } from './tables.ts';

/**
 * THE access layer: every read of a person's personal data goes through these functions. Each
 * one parses the purpose (400 `purpose_required`), applies the policy (policy.ts: which persons
 * the reader sees, masked or clear), and appends to `personal_data_access` in the same
 * transaction as the read — one row per person read, masked or clear, list or detail. Nothing
 * else in the code base selects `persons.*_enc` (except key rotation, which never returns them).
 */

export type { Reader, SystemReader } from './policy.ts';

export const PERSON_FIELDS = ['name', 'idNumber', 'birthDate', 'phoneCards', 'bankAccounts'] as const;
export type PersonField = (typeof PERSON_FIELDS)[number];

export interface PhoneCardView {
  msisdn: string;
  operatorOrgId: string;
  operator: string;
  cardType: CardType;
  activatedAt: Date | null;
  status: CardStatus;
  /** When a card given back was cancelled (status `cancelled`); null otherwise. */
  cancelledAt: Date | null;
}

export interface BankAccountView {
  account: string;
  institutionOrgId: string;
  institution: string;
  accountType: AccountType;
  openedAt: Date | null;
  status: AccountStatus;
  /** When the institution closed it (status `closed`); null otherwise. */
  closedAt: Date | null;
}

/** A person as one reader may see them; fields not asked for are absent. */
export interface PersonView {
  id: string;
  idType: IdType;
  /** True when the values are masked (the reader's role or purpose does not allow clear values). */
  masked: boolean;
  name?: string;
  idNumber?: string;
  birthDate?: string | null;
  phoneCards?: PhoneCardView[];
  bankAccounts?: BankAccountView[];
}

export interface ReadOptions {
  /** `kind[:reference]`, e.g. `appeal:APL-2026-0001` (policy.ts PURPOSES). */
  purpose: string | null | undefined;
  /** Default: all of PERSON_FIELDS. */
  fields?: readonly PersonField[];
  requestId?: string;
}

export interface PersonListItem {
  id: string;
  idType: IdType;
  /** Always masked. */
  name: string;
  /** Always masked. */
  idNumber: string;
  /** Phone cards in service (cards given back are history, not held). */
  phoneCardCount: number;
  bankAccountCount: number;
  createdAt: Date;
  /**
   * Searched by a phone number: whether this person holds it now (`present`) or held it before it
   * was given back and perhaps reissued (`former`). A number's present holder is listed first.
   */
  numberHolder?: 'present' | 'former';
}

export interface ListOptions {
  /** Exact identity number (matched through its keyed hash), phone number or account number. */
  q?: string | null;
  limit?: number;
  purpose: string | null | undefined;
  requestId?: string;
}

export interface AccessLogEntry {
  id: number;
  at: Date;
  actorKind: string;
  actorId: string | null;
  actorName: string;
  organisationId: string | null;
  personId: string;
  fields: string[];
  /** `kind[:reference]` */
  purpose: string;
  clear: boolean;
  requestId: string | null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_LIST = 100;
export const MAX_ACCESS_LOG = 500;

/** Runs `fn` in the caller's transaction, or in a new one. */
function inTx<T>(q: Kysely<DB>, fn: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
  return q.isTransaction ? fn(q) : q.transaction().execute(fn);
}

const personNotFound = () => notFound('person');

/** Reads one person: 404 when it does not exist or this reader may not see it. */
export async function readPerson(
  q: Kysely<DB>,
  cipher: PiiCipher,
  reader: Reader,
  personId: string,
  opts: ReadOptions,
): Promise<PersonView> {
  const purpose = parsePurpose(opts.purpose);
  const fields = checkFields(opts.fields);
  if (!UUID_RE.test(personId)) throw personNotFound();
  return inTx(q, (tx) => readOne(tx, cipher, reader, personId, purpose, fields, opts.requestId));
}

/**
 * Finds a person by identity number (bare PRC number or `type:value`), through its keyed hash,
 * and reads them like readPerson. 400 `invalid_id_number`, 404 when unknown or not visible.
 */
export async function findPersonByIdNumber(
  q: Kysely<DB>,
  cipher: PiiCipher,
  reader: Reader,
  idNumber: string,
  purpose: string | null | undefined,
  opts: { fields?: readonly PersonField[]; requestId?: string } = {},
): Promise<PersonView> {
  const p = parsePurpose(purpose);
  const fields = checkFields(opts.fields);
  const doc = parseIdentityDocument(idNumber);
  const hash = cipher.lookupHash('id_number', `${doc.type}:${doc.value}`);
  return inTx(q, async (tx) => {
    const row = await tx
      .selectFrom('persons')
      .select('id')
      .where('id_number_hash', '=', hash)
      .executeTakeFirst();
    if (!row) throw personNotFound();
    return readOne(tx, cipher, reader, row.id, p, fields, opts.requestId);
  });
}

/**
 * Lists persons, newest first, or those matching `q`; always masked. Appends one access
 * record per listed person (in one INSERT), so "who read about this person" stays a single
 * indexed lookup however the person was read.
 */
export async function listPersons(
  q: Kysely<DB>,
  cipher: PiiCipher,
  reader: Reader,
  opts: ListOptions,
): Promise<PersonListItem[]> {
  const purpose = parsePurpose(opts.purpose);
  const limit = clampLimit(opts.limit, 50, MAX_LIST);
  const decision = decide(reader, purpose);
  if (decision.persons === 'none') return [];
  const org = decision.persons === 'own_customers' && reader.kind !== 'system' ? reader.organisationId : null;
  const search = opts.q?.trim() ? searchKeys(cipher, opts.q.trim()) : null;
  if (search && !search.hash && !search.msisdn && !search.account) return [];

  return inTx(q, async (tx) => {
    let query = tx
      .selectFrom('persons as p')
      .select((eb) => [
        'p.id',
        'p.id_type',
        'p.key_id',
        'p.name_enc',
        'p.id_number_enc',
        'p.created_at',
        eb
          .selectFrom('phone_cards as c')
          .select(sql<number>`count(*)::int`.as('n'))
          .whereRef('c.holder_person_id', '=', 'p.id')
          .where('c.status', '<>', 'cancelled')
          .$if(org !== null, (w) => w.where('c.operator_org_id', '=', org!))
          .as('card_count'),
        // Searched by a number: its present holder, told from its former ones.
        holderOf(eb, search?.msisdn, false).as('held_number'),
        holderOf(eb, search?.msisdn, true).as('holds_number'),
        eb
          .selectFrom('bank_accounts as a')
          .select(sql<number>`count(*)::int`.as('n'))
          .whereRef('a.holder_person_id', '=', 'p.id')
          .$if(org !== null, (w) => w.where('a.institution_org_id', '=', org!))
          .as('account_count'),
      ])
      .$if(search?.msisdn !== undefined && search.msisdn !== null, (w) => w.orderBy('holds_number', 'desc'))
      .orderBy('p.created_at', 'desc')
      .orderBy('p.id', 'desc')
      .limit(limit);
    if (org) query = query.where((eb) => holdsAt(eb, org));
    if (search) {
      query = query.where((eb) =>
        eb.or([
          ...(search.hash ? [eb('p.id_number_hash', '=', search.hash)] : []),
          ...(search.msisdn
            ? [
                eb(
                  'p.id',
                  'in',
                  eb.selectFrom('phone_cards').select('holder_person_id').where('msisdn', '=', search.msisdn),
                ),
              ]
            : []),
          ...(search.account
            ? [
                eb(
                  'p.id',
                  'in',
                  eb
                    .selectFrom('bank_accounts')
                    .select('holder_person_id')
                    .where('account', '=', search.account),
                ),
              ]
            : []),
        ]),
      );
    }
    const rows = await query.execute();
    const items = rows.map((r) => ({
      id: r.id,
      idType: r.id_type,
      name: maskName(cipher.decrypt(r.key_id, r.name_enc, piiContext('persons', 'name_enc', r.id))),
      idNumber: maskIdNumber(
        cipher.decrypt(r.key_id, r.id_number_enc, piiContext('persons', 'id_number_enc', r.id)),
      ),
      phoneCardCount: Number(r.card_count ?? 0),
      bankAccountCount: Number(r.account_count ?? 0),
      createdAt: r.created_at,
      ...(r.held_number && { numberHolder: r.holds_number ? ('present' as const) : ('former' as const) }),
    }));
    await recordAccess(
      tx,
      reader,
      items.map((i) => i.id),
      ['name', 'idNumber'],
      purpose,
      false,
      opts.requestId,
    );
    return items;
  });
}

/**
 * Ages on a day (from the encrypted birth date), e.g. to put elderly people and minors first in
 * warnings. Only for readers that may have clear values for the purpose (the system's workers,
 * the centre's analysts for a case…); 403 otherwise. Persons without a birth date map to null;
 * unknown or invisible ids are left out. One access record (`age`) per person returned.
 */
export async function personAges(
  q: Kysely<DB>,
  cipher: PiiCipher,
  reader: Reader,
  personIds: readonly string[],
  opts: { purpose: string | null | undefined; on?: Date | string; requestId?: string },
): Promise<Map<string, number | null>> {
  const purpose = parsePurpose(opts.purpose);
  const decision = decide(reader, purpose);
  if (!decision.clear) throw forbidden('ages need a purpose for which your role may see clear personal data');
  const ids = [...new Set(personIds)].filter((id) => UUID_RE.test(id));
  const out = new Map<string, number | null>();
  if (ids.length === 0) return out;
  const org = decision.persons === 'own_customers' && reader.kind !== 'system' ? reader.organisationId : null;
  return inTx(q, async (tx) => {
    let query = tx
      .selectFrom('persons as p')
      .select(['p.id', 'p.key_id', 'p.birth_date_enc'])
      .where('p.id', 'in', ids);
    if (org) query = query.where((eb) => holdsAt(eb, org));
    for (const r of await query.execute()) {
      out.set(
        r.id,
        r.birth_date_enc
          ? ageOn(
              cipher.decrypt(r.key_id, r.birth_date_enc, piiContext('persons', 'birth_date_enc', r.id)),
              opts.on,
            )
          : null,
      );
    }
    await recordAccess(tx, reader, [...out.keys()], ['age'], purpose, true, opts.requestId);
    return out;
  });
}

/**
 * The access log, newest first. The anti-fraud centre sees every record; other organisations
 * see the records of their own users and API keys.
 */
export async function listAccessLog(
  q: Kysely<DB>,
  principal: Principal,
  opts: { personId?: string; limit?: number; before?: number } = {},
): Promise<AccessLogEntry[]> {
  const limit = clampLimit(opts.limit, 50, MAX_ACCESS_LOG);
  let query = q.selectFrom('personal_data_access').selectAll().orderBy('id', 'desc').limit(limit);
  if (opts.personId) {
    if (!UUID_RE.test(opts.personId)) return [];
    query = query.where('person_id', '=', opts.personId);
  }
  if (opts.before !== undefined && Number.isFinite(opts.before)) query = query.where('id', '<', opts.before);
  if (principal.organisationKind !== 'anti_fraud_centre') {
    query = query.where('organisation_id', '=', principal.organisationId);
  }
  const rows = await query.execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    actorKind: r.actor_kind,
    actorId: r.actor_id,
    actorName: r.actor_name,
    organisationId: r.organisation_id,
    personId: r.person_id,
    fields: r.fields,
    purpose: r.purpose_ref ? `${r.purpose}:${r.purpose_ref}` : r.purpose,
    clear: r.clear,
    requestId: r.request_id,
  }));
}

// --- internals -----------------------------------------------------------------------------------

function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  const n = limit === undefined || !Number.isFinite(limit) ? fallback : Math.trunc(limit);
  return Math.max(1, Math.min(max, n));
}

function checkFields(fields: readonly PersonField[] | undefined): readonly PersonField[] {
  if (fields === undefined) return PERSON_FIELDS;
  const bad = fields.filter((f) => !(PERSON_FIELDS as readonly string[]).includes(f));
  if (bad.length || fields.length === 0) {
    throw new AppError(400, 'invalid_fields', `fields must be some of ${PERSON_FIELDS.join(', ')}`);
  }
  return [...new Set(fields)];
}

type Eb = ExpressionBuilder<DB & { p: DB['persons'] }, 'p'>;

/** The person (alias `p`) holds a phone card or bank account at the organisation. */
function holdsAt(eb: Eb, org: string) {
  return eb.or([
    eb.exists(
      eb
        .selectFrom('phone_cards as hc')
        .select('hc.id')
        .whereRef('hc.holder_person_id', '=', 'p.id')
        .where('hc.operator_org_id', '=', org),
    ),
    eb.exists(
      eb
        .selectFrom('bank_accounts as ha')
        .select('ha.id')
        .whereRef('ha.holder_person_id', '=', 'p.id')
        .where('ha.institution_org_id', '=', org),
    ),
  ]);
}

/** Whether person `p` held phone number `msisdn` (`now`: holds it now); false when there is none. */
function holderOf(
  eb: ExpressionBuilder<DB & { p: DB['persons'] }, 'p'>,
  msisdn: string | undefined,
  now: boolean,
) {
  if (msisdn === undefined) return sql<boolean>`false`;
  return sql<boolean>`${eb.exists(
    eb
      .selectFrom('phone_cards as n')
      .select('n.id')
      .whereRef('n.holder_person_id', '=', 'p.id')
      .where('n.msisdn', '=', msisdn)
      .$if(now, (w) => w.where('n.status', '<>', 'cancelled')),
  )}`;
}

function searchKeys(cipher: PiiCipher, q: string): { hash?: string; msisdn?: string; account?: string } {
  const out: { hash?: string; msisdn?: string; account?: string } = {};
  try {
    const doc = parseIdentityDocument(q);
    out.hash = cipher.lookupHash('id_number', `${doc.type}:${doc.value}`);
  } catch {
    /* not an identity number */
  }
  const msisdn = normaliseMsisdn(q);
  if (msisdn) out.msisdn = msisdn;
  const account = normaliseAccount(q);
  if (account) out.account = account;
  return out;
}

async function readOne(
  tx: Kysely<DB>,
  cipher: PiiCipher,
  reader: Reader,
  personId: string,
  purpose: Purpose,
  fields: readonly PersonField[],
  requestId: string | undefined,
): Promise<PersonView> {
  const decision = decide(reader, purpose);
  if (decision.persons === 'none') throw personNotFound();
  const org = decision.persons === 'own_customers' && reader.kind !== 'system' ? reader.organisationId : null;
  const row = await tx
    .selectFrom('persons')
    .select(['id', 'id_type', 'key_id', 'name_enc', 'id_number_enc', 'birth_date_enc'])
    .where('id', '=', personId)
    .executeTakeFirst();
  if (!row) throw personNotFound();

  const want = new Set(fields);
  // Institutions see their own customers only, and only their own cards and accounts.
  const cards =
    want.has('phoneCards') || org
      ? await tx
          .selectFrom('phone_cards as c')
          .innerJoin('organisations as o', 'o.id', 'c.operator_org_id')
          .select([
            'c.msisdn',
            'c.operator_org_id',
            'o.name',
            'c.card_type',
            'c.activated_at',
            'c.status',
            'c.cancelled_at',
          ])
          .where('c.holder_person_id', '=', personId)
          .$if(org !== null, (w) => w.where('c.operator_org_id', '=', org!))
          .orderBy('c.msisdn')
          .execute()
      : [];
  const accounts =
    want.has('bankAccounts') || org
      ? await tx
          .selectFrom('bank_accounts as a')
          .innerJoin('organisations as o', 'o.id', 'a.institution_org_id')
          .select([
            'a.account',
            'a.institution_org_id',
            'o.name',
            'a.account_type',
            'a.opened_at',
            'a.status',
            'a.closed_at',
          ])
          .where('a.holder_person_id', '=', personId)
          .$if(org !== null, (w) => w.where('a.institution_org_id', '=', org!))
          .orderBy('o.name')
          .orderBy('a.account')
          .execute()
      : [];
  if (org && cards.length === 0 && accounts.length === 0) throw personNotFound();

  const clear = decision.clear;
  const dec = (column: string, c: Buffer) =>
    cipher.decrypt(row.key_id, c, piiContext('persons', column, row.id));
  const view: PersonView = { id: row.id, idType: row.id_type, masked: !clear };
  if (want.has('name')) {
    const name = dec('name_enc', row.name_enc);
    view.name = clear ? name : maskName(name);
  }
  if (want.has('idNumber')) {
    const idNumber = dec('id_number_enc', row.id_number_enc);
    view.idNumber = clear ? idNumber : maskIdNumber(idNumber);
  }
  if (want.has('birthDate')) {
    view.birthDate = clear && row.birth_date_enc ? dec('birth_date_enc', row.birth_date_enc) : null;
  }
  if (want.has('phoneCards')) {
    view.phoneCards = cards.map((c) => ({
      msisdn: clear ? c.msisdn : maskPhone(c.msisdn),
      operatorOrgId: c.operator_org_id,
      operator: c.name,
      cardType: c.card_type,
      activatedAt: c.activated_at,
      status: c.status,
      cancelledAt: c.cancelled_at,
    }));
  }
  if (want.has('bankAccounts')) {
    view.bankAccounts = accounts.map((a) => ({
      account: clear ? a.account : maskAccount(a.account),
      institutionOrgId: a.institution_org_id,
      institution: a.name,
      accountType: a.account_type,
      openedAt: a.opened_at,
      status: a.status,
      closedAt: a.closed_at,
    }));
  }
  await recordAccess(tx, reader, [row.id], fields, purpose, clear, requestId);
  return view;
}

async function recordAccess(
  tx: Kysely<DB>,
  reader: Reader,
  personIds: readonly string[],
  fields: readonly string[],
  purpose: Purpose,
  clear: boolean,
  requestId: string | undefined,
): Promise<void> {
  if (personIds.length === 0) return;
  const actor = {
    actor_kind: reader.kind,
    actor_id: reader.kind === 'system' ? null : reader.id,
    actor_name: reader.name,
    organisation_id: reader.kind === 'system' ? null : reader.organisationId,
    fields: [...fields],
    purpose: purpose.kind,
    purpose_ref: purpose.ref,
    clear,
    request_id: requestId ?? null,
  };
  await tx
    .insertInto('personal_data_access')
    .values(personIds.map((person_id) => ({ ...actor, person_id })))
    .execute();
}
