import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { audit, type Actor } from '../core/audit.ts';
import type { EventBus } from '../core/bus/index.ts';
import { badRequest, conflict, notFound } from '../core/errors.ts';
import { piiContext, type PiiCipher } from './crypto.ts';
import { parseIdentityDocument } from './idnumber.ts';
import { normaliseAccount, normaliseMsisdn } from './normalise.ts';
import {
  ACCOUNT_STATUSES,
  ACCOUNT_TYPES,
  CARD_STATUSES,
  CARD_TYPES,
  type AccountStatus,
  type AccountType,
  type CardStatus,
  type CardType,
} from './tables.ts';

/**
 * Writing persons, phone cards and bank accounts (the demo seed and the operators' and banks'
 * imports use these). Reading personal data back is access.ts's job alone: nothing here
 * returns a name or an identity number.
 */

type Publisher = Pick<EventBus, 'publish'>;

function inTx<T>(q: Kysely<DB>, fn: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
  return q.isTransaction ? fn(q) : q.transaction().execute(fn);
}

export interface PersonInput {
  /** Empty or omitted when unknown (imported holdings carry the identity number only). */
  name?: string;
  /** A bare PRC resident identity number (18, or 15 converted), or `type:value` (e.g. `passport:E12345678`). */
  idNumber: string;
  /** Document type when `idNumber` carries no `type:` prefix (default prc_resident). */
  idType?: string;
  /** The organisation recording the person (the person.created event names it); default: the actor's. */
  organisationId?: string | null;
}

/** The keyed hash that finds a person by identity document. */
export function idNumberHash(cipher: PiiCipher, type: string, normalisedValue: string): string {
  return cipher.lookupHash('id_number', `${type}:${normalisedValue}`);
}

function cleanName(name: string): string {
  const n = name.normalize('NFC').trim().replace(/\s+/g, ' ');
  // eslint-disable-next-line no-control-regex
  if (!n || n.length > 200 || /[\u0000-\u001f\u007f]/.test(n)) {
    throw badRequest('invalid_name', 'a name must be 1–200 characters without control characters');
  }
  return n;
}

/**
 * Records a person, encrypted, and returns its id; when a person with the same identity
 * document exists, returns that id and changes nothing (idempotent, `created: false`).
 */
export async function ensurePerson(
  q: Kysely<DB>,
  cipher: PiiCipher,
  bus: Publisher | undefined,
  actor: Actor,
  input: PersonInput,
  requestId?: string,
): Promise<{ id: string; created: boolean }> {
  // Operators' and banks' files name the holder by identity number only: the name may be unknown.
  const name = input.name === undefined || input.name === '' ? '' : cleanName(input.name);
  const doc = parseIdentityDocument(input.idNumber, input.idType ? { type: input.idType } : {});
  const hash = idNumberHash(cipher, doc.type, doc.value);
  const organisationId = input.organisationId ?? ('organisationId' in actor ? actor.organisationId : null);
  const id = crypto.randomUUID();
  const enc = (column: string, plain: string) =>
    cipher.encrypt(plain, piiContext('persons', column, id)).ciphertext;
  const row = {
    id,
    id_type: doc.type,
    id_number_hash: hash,
    key_id: cipher.activeKeyId,
    name_enc: enc('name_enc', name),
    id_number_enc: enc('id_number_enc', doc.value),
    birth_date_enc: doc.birthDate ? enc('birth_date_enc', doc.birthDate) : null,
    region_code: doc.regionCode,
  };
  return inTx(q, async (tx) => {
    const existing = await tx
      .selectFrom('persons')
      .select('id')
      .where('id_number_hash', '=', hash)
      .executeTakeFirst();
    if (existing) return { id: existing.id, created: false };
    const inserted = await tx
      .insertInto('persons')
      .values(row)
      .onConflict((oc) => oc.column('id_number_hash').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      // Another transaction recorded the same person in between.
      const other = await tx
        .selectFrom('persons')
        .select('id')
        .where('id_number_hash', '=', hash)
        .executeTakeFirstOrThrow();
      return { id: other.id, created: false };
    }
    await audit(
      tx,
      actor,
      { action: 'person.create', targetKind: 'person', targetId: id, details: { idType: doc.type } },
      requestId,
    );
    if (bus && organisationId) {
      await bus.publish(tx, 'person.created', { personId: id, organisationId }, { key: id });
    }
    // TODO(lead): with no organisation (system actor, e.g. the demo seed without organisationId)
    // no person.created is published: the catalogue requires organisationId (see the report).
    return { id, created: true };
  });
}

/** As ensurePerson, returning the id only (the existing one when the person is known). */
export async function createPerson(
  q: Kysely<DB>,
  cipher: PiiCipher,
  bus: Publisher | undefined,
  actor: Actor,
  input: PersonInput,
  requestId?: string,
): Promise<string> {
  return (await ensurePerson(q, cipher, bus, actor, input, requestId)).id;
}

async function organisationOfKind(
  tx: Kysely<DB>,
  id: string,
  kind: 'telecom_operator' | 'bank',
  what: string,
) {
  const org = await tx
    .selectFrom('organisations')
    .select(['id', 'kind'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!org) throw notFound(what);
  if (org.kind !== kind)
    throw badRequest('invalid_organisation', `the ${what} must be an organisation of kind ${kind}`);
}

async function personExists(tx: Kysely<DB>, id: string | null): Promise<void> {
  if (id === null) return;
  const p = await tx.selectFrom('persons').select('id').where('id', '=', id).executeTakeFirst();
  if (!p) throw notFound('person');
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkUuid(v: string | null, what: string): void {
  if (v !== null && !UUID_RE.test(v)) throw notFound(what);
}

function checkEnum<T extends string>(v: string, allowed: readonly T[], code: string, what: string): T {
  if (!(allowed as readonly string[]).includes(v))
    throw badRequest(code, `${what} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function toDate(v: Date | string | null | undefined, what: string): Date | null {
  if (v === null || v === undefined || v === '') return null;
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) throw badRequest('invalid_date', `${what} is not a date`);
  return d;
}

export interface PhoneCardInput {
  /** E.164, or a Chinese 11-digit mobile / 13-digit IoT number (+86 is added). */
  msisdn: string;
  imsi?: string | null;
  /** Null when the holder is not a natural person. */
  holderPersonId: string | null;
  operatorOrgId: string;
  cardType?: CardType;
  holderRegion?: string | null;
  activatedAt?: Date | string | null;
  status?: CardStatus;
  /** With status `cancelled`: when the card was given back. */
  cancelledAt?: Date | string | null;
  /** The sales outlet that opened it (channel or shop code), when known. */
  outlet?: string | null;
}

/**
 * Registers a phone card. Numbers are recycled, so the registry keeps one row per tenure and at
 * most one that is not cancelled: the number's present card. Registering the same number again
 * for the holder and operator of its present card returns that card's id; while another holder or
 * operator has it, it is 409 `phone_card_exists` (the operator says first that the old card was
 * given back). A tenure already ended (a cancelled card of this holder, operator and activation
 * time) is not brought back by an older listing of it: its id is returned.
 */
export async function addPhoneCard(
  q: Kysely<DB>,
  actor: Actor,
  input: PhoneCardInput,
  requestId?: string,
): Promise<string> {
  const card = checkPhoneCard(input);
  return inTx(q, async (tx) => {
    await organisationOfKind(tx, input.operatorOrgId, 'telecom_operator', 'operator');
    await personExists(tx, input.holderPersonId);
    const tenures = await tenuresOf(tx, card.msisdn);
    const present = tenures.find((t) => t.status !== 'cancelled');
    if (
      present?.holder_person_id === input.holderPersonId &&
      present.operator_org_id === input.operatorOrgId
    ) {
      // A later file may name the outlet an earlier one did not; a known outlet is not overwritten.
      if (card.outlet !== null && present.outlet === null)
        await tx
          .updateTable('phone_cards')
          .set({ outlet: card.outlet })
          .where('id', '=', present.id)
          .execute();
      return present.id;
    }
    const ended =
      card.activatedAt !== null &&
      tenures.find(
        (t) => t.status === 'cancelled' && t.activated_at !== null && sameTenure(t, input, card.activatedAt),
      );
    if (ended) return ended.id;
    // A card given back is history beside the present one; a card in service needs the number free.
    if (present && card.status !== 'cancelled')
      throw conflict('phone_card_exists', 'this phone number is registered to another holder or operator');
    return insertPhoneCard(tx, actor, input, card, requestId);
  });
}

/**
 * What an operator's card file says of a card it cancelled (`cancelled_at`): the card of this
 * number, holder, operator and activation time is marked `cancelled` (audited once; again is a
 * no-op), or, when the registry does not have that tenure, registered as cancelled: the number's
 * present card, or its history when the number has been given to someone else since (which is
 * left as it is). A holder sees the cards once in their name, given back ones too.
 * Returns what it did.
 */
export async function recordCancelledPhoneCard(
  q: Kysely<DB>,
  actor: Actor,
  input: PhoneCardInput,
): Promise<'registered' | 'cancelled' | 'unchanged' | 'history'> {
  const card = checkPhoneCard({ ...input, status: 'cancelled' });
  return inTx(q, async (tx) => {
    const tenures = await tenuresOf(tx, card.msisdn);
    const mine = tenures.filter((t) => sameTenure(t, input, card.activatedAt));
    const present = mine.find((t) => t.status !== 'cancelled');
    if (present) {
      await tx
        .updateTable('phone_cards')
        .set({ status: 'cancelled', cancelled_at: card.cancelledAt })
        .where('id', '=', present.id)
        .execute();
      await audit(tx, actor, {
        action: 'phone_card.cancel',
        targetKind: 'phone_card',
        targetId: present.id,
        details: { operatorOrgId: input.operatorOrgId, personId: input.holderPersonId, was: present.status },
      });
      return 'cancelled';
    }
    if (mine.length > 0) return 'unchanged';
    await organisationOfKind(tx, input.operatorOrgId, 'telecom_operator', 'operator');
    await personExists(tx, input.holderPersonId);
    await insertPhoneCard(tx, actor, input, card);
    return tenures.some((t) => t.status !== 'cancelled') ? 'history' : 'registered';
  });
}

interface CheckedPhoneCard {
  msisdn: string;
  imsi: string | null;
  cardType: CardType;
  status: CardStatus;
  holderRegion: string | null;
  activatedAt: Date | null;
  cancelledAt: Date | null;
  outlet: string | null;
}

function checkPhoneCard(input: PhoneCardInput): CheckedPhoneCard {
  const msisdn = normaliseMsisdn(input.msisdn);
  if (!msisdn)
    throw badRequest('invalid_msisdn', 'the phone number is not a valid E.164 or Chinese mobile number');
  const imsi = input.imsi?.trim() || null;
  if (imsi !== null && !/^\d{6,15}$/.test(imsi)) throw badRequest('invalid_imsi', 'an IMSI has 6–15 digits');
  const cardType = checkEnum(input.cardType ?? 'consumer', CARD_TYPES, 'invalid_card_type', 'the card type');
  const status = checkEnum(input.status ?? 'active', CARD_STATUSES, 'invalid_status', 'the card status');
  const holderRegion = input.holderRegion?.trim() || null;
  if (holderRegion !== null && holderRegion.length > 64)
    throw badRequest('invalid_region', 'the holder region is too long');
  const activatedAt = toDate(input.activatedAt, 'activated_at');
  const cancelledAt = status === 'cancelled' ? toDate(input.cancelledAt, 'cancelled_at') : null;
  const outlet = input.outlet?.trim() || null;
  if (outlet !== null && outlet.length > 64)
    throw badRequest('invalid_outlet', 'the outlet code is too long');
  checkUuid(input.holderPersonId, 'person');
  checkUuid(input.operatorOrgId, 'operator');
  return { msisdn, imsi, cardType, status, holderRegion, activatedAt, cancelledAt, outlet };
}

/** Every tenure of a number, the present card (if any) among them. */
function tenuresOf(tx: Kysely<DB>, msisdn: string) {
  return tx
    .selectFrom('phone_cards')
    .select(['id', 'holder_person_id', 'operator_org_id', 'status', 'activated_at', 'outlet'])
    .where('msisdn', '=', msisdn)
    .execute();
}

/** The row is the tenure the input speaks of: same holder and operator, and activation time when both know it. */
function sameTenure(
  t: { holder_person_id: string | null; operator_org_id: string; activated_at: Date | null },
  input: PhoneCardInput,
  activatedAt: Date | null,
): boolean {
  return (
    t.holder_person_id === input.holderPersonId &&
    t.operator_org_id === input.operatorOrgId &&
    (t.activated_at === null || activatedAt === null || t.activated_at.getTime() === activatedAt.getTime())
  );
}

async function insertPhoneCard(
  tx: Kysely<DB>,
  actor: Actor,
  input: PhoneCardInput,
  card: CheckedPhoneCard,
  requestId?: string,
): Promise<string> {
  const id = crypto.randomUUID();
  await tx
    .insertInto('phone_cards')
    .values({
      id,
      msisdn: card.msisdn,
      imsi: card.imsi,
      holder_person_id: input.holderPersonId,
      operator_org_id: input.operatorOrgId,
      card_type: card.cardType,
      holder_region: card.holderRegion,
      activated_at: card.activatedAt,
      status: card.status,
      cancelled_at: card.cancelledAt,
      outlet: card.outlet,
    })
    .execute();
  await audit(
    tx,
    actor,
    {
      action: 'phone_card.add',
      targetKind: 'phone_card',
      targetId: id,
      details: {
        operatorOrgId: input.operatorOrgId,
        personId: input.holderPersonId,
        cardType: card.cardType,
        ...(card.status === 'cancelled' ? { status: card.status } : {}),
      },
    },
    requestId,
  );
  return id;
}

export interface BankAccountInput {
  account: string;
  institutionOrgId: string;
  holderPersonId: string | null;
  accountType?: AccountType;
  openedAt?: Date | string | null;
  status?: AccountStatus;
  /** With status `closed`: when the bank closed it. */
  closedAt?: Date | string | null;
}

/**
 * Registers a bank or payment account. The same account at the same institution for the same
 * holder returns the existing id and changes nothing (a closed account named again stays closed:
 * a bank opens a new account rather than reopening one); for another holder it is 409
 * `bank_account_exists`.
 */
export async function addBankAccount(
  q: Kysely<DB>,
  actor: Actor,
  input: BankAccountInput,
  requestId?: string,
): Promise<string> {
  const checked = checkBankAccount(input);
  return inTx(q, async (tx) => {
    await organisationOfKind(tx, input.institutionOrgId, 'bank', 'institution');
    await personExists(tx, input.holderPersonId);
    const existing = await registeredAccount(tx, input, checked.account);
    if (existing) return existing.id;
    return insertBankAccount(tx, actor, input, checked, requestId);
  });
}

/**
 * What a bank's account file says of an account it closed (`closed_at`): the registered account of
 * this institution, number and holder is marked `closed` (audited once; again is a no-op), or,
 * when the registry does not have it, registered as closed, so that its holder sees it as closed.
 * Account numbers are not reissued, so there is no history to keep beside it: the same number in
 * another holder's name is 409 `bank_account_exists`, as for addBankAccount. Returns what it did.
 */
export async function recordClosedBankAccount(
  q: Kysely<DB>,
  actor: Actor,
  input: BankAccountInput,
): Promise<'registered' | 'closed' | 'unchanged'> {
  const checked = checkBankAccount({ ...input, status: 'closed' });
  return inTx(q, async (tx) => {
    await organisationOfKind(tx, input.institutionOrgId, 'bank', 'institution');
    await personExists(tx, input.holderPersonId);
    const existing = await registeredAccount(tx, input, checked.account);
    if (!existing) {
      await insertBankAccount(tx, actor, input, checked);
      return 'registered';
    }
    if (existing.status === 'closed') return 'unchanged';
    // Only a change is audited: the same file imported twice at once closes it once.
    const changed = await tx
      .updateTable('bank_accounts')
      .set({ status: 'closed', closed_at: checked.closedAt })
      .where('id', '=', existing.id)
      .where('status', '<>', 'closed')
      .executeTakeFirst();
    if (Number(changed.numUpdatedRows) === 0) return 'unchanged';
    await audit(tx, actor, {
      action: 'bank_account.close',
      targetKind: 'bank_account',
      targetId: existing.id,
      details: {
        institutionOrgId: input.institutionOrgId,
        personId: input.holderPersonId,
        was: existing.status,
      },
    });
    return 'closed';
  });
}

interface CheckedBankAccount {
  account: string;
  accountType: AccountType;
  status: AccountStatus;
  openedAt: Date | null;
  closedAt: Date | null;
}

function checkBankAccount(input: BankAccountInput): CheckedBankAccount {
  const account = normaliseAccount(input.account);
  if (!account) throw badRequest('invalid_account', 'an account number has 4–40 letters and digits');
  const accountType = checkEnum(
    input.accountType ?? 'personal',
    ACCOUNT_TYPES,
    'invalid_account_type',
    'the account type',
  );
  const status = checkEnum(
    input.status ?? 'active',
    ACCOUNT_STATUSES,
    'invalid_status',
    'the account status',
  );
  const openedAt = toDate(input.openedAt, 'opened_at');
  const closedAt = status === 'closed' ? toDate(input.closedAt, 'closed_at') : null;
  if (openedAt !== null && closedAt !== null && closedAt < openedAt)
    throw badRequest('invalid_date', 'closed_at is before opened_at');
  checkUuid(input.holderPersonId, 'person');
  checkUuid(input.institutionOrgId, 'institution');
  return { account, accountType, status, openedAt, closedAt };
}

/**
 * The registered account of this institution and number, when it is the input's holder's; one
 * registered to another holder is 409 `bank_account_exists` (numbers are unique per institution).
 */
async function registeredAccount(
  tx: Kysely<DB>,
  input: BankAccountInput,
  account: string,
): Promise<{ id: string; status: AccountStatus } | undefined> {
  const existing = await tx
    .selectFrom('bank_accounts')
    .select(['id', 'holder_person_id', 'status'])
    .where('institution_org_id', '=', input.institutionOrgId)
    .where('account', '=', account)
    .executeTakeFirst();
  if (existing && existing.holder_person_id !== input.holderPersonId)
    throw conflict('bank_account_exists', 'this account is registered to another holder at this institution');
  return existing;
}

async function insertBankAccount(
  tx: Kysely<DB>,
  actor: Actor,
  input: BankAccountInput,
  checked: CheckedBankAccount,
  requestId?: string,
): Promise<string> {
  const id = crypto.randomUUID();
  await tx
    .insertInto('bank_accounts')
    .values({
      id,
      account: checked.account,
      institution_org_id: input.institutionOrgId,
      holder_person_id: input.holderPersonId,
      account_type: checked.accountType,
      opened_at: checked.openedAt,
      status: checked.status,
      closed_at: checked.closedAt,
    })
    .execute();
  await audit(
    tx,
    actor,
    {
      action: 'bank_account.add',
      targetKind: 'bank_account',
      targetId: id,
      details: {
        institutionOrgId: input.institutionOrgId,
        personId: input.holderPersonId,
        accountType: checked.accountType,
        ...(checked.status === 'closed' ? { status: checked.status } : {}),
      },
    },
    requestId,
  );
  return id;
}

/** How many phone cards and bank accounts a person holds (counts only: no personal data). */
export async function holdings(
  q: Kysely<DB>,
  personId: string,
): Promise<{ phoneCards: number; bankAccounts: number }> {
  if (!UUID_RE.test(personId)) throw notFound('person');
  const cards = await q
    .selectFrom('phone_cards')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('holder_person_id', '=', personId)
    .executeTakeFirstOrThrow();
  const accounts = await q
    .selectFrom('bank_accounts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('holder_person_id', '=', personId)
    .executeTakeFirstOrThrow();
  return { phoneCards: Number(cards.n), bankAccounts: Number(accounts.n) };
}
