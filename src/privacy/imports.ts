import type { Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { SYSTEM } from '../core/audit.ts';
import { badRequest } from '../core/errors.ts';
import type { ImportSpec, Prepared } from '../core/importer/run.ts';
import type { EventBus } from '../core/bus/index.ts';
import type { PiiCipher } from './crypto.ts';
import { parseIdentityDocument } from './idnumber.ts';
import { normaliseAccount, normaliseMsisdn } from './normalise.ts';
import {
  addBankAccount,
  addPhoneCard,
  ensurePerson,
  recordCancelledPhoneCard,
  recordClosedBankAccount,
} from './service.ts';
import { ACCOUNT_TYPES, CARD_TYPES, type AccountType, type CardType } from './tables.ts';

/**
 * The operators' card files and the banks' account files (docs/formats.md). Holders are named by
 * identity number only; a holder seen for the first time becomes a person with no name yet.
 */
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

function checkTime(v: string, what: string): string | null {
  if (!v) return null;
  if (!ISO_WITH_OFFSET.test(v) || Number.isNaN(Date.parse(v)))
    return `${what} is not an ISO 8601 time with offset`;
  return null;
}

function checkHolder(v: string): string | null {
  if (!v) return null;
  try {
    parseIdentityDocument(v);
    return null;
  } catch (err) {
    return `holder_id: ${(err as Error).message}`;
  }
}

/** Finds an organisation of a kind by id or name, once per file. */
function organisationResolver(kind: 'telecom_operator' | 'bank', what: string) {
  const cache = new Map<string, string>();
  return async (tx: Kysely<DB>, ref: string): Promise<string> => {
    const hit = cache.get(ref);
    if (hit) return hit;
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
    const row = await tx
      .selectFrom('organisations')
      .select('id')
      .where('kind', '=', kind)
      .where((eb) => (isUuid ? eb('id', '=', ref) : eb('name', '=', ref)))
      .executeTakeFirst();
    if (!row) throw badRequest(`unknown_${what}`, `no ${what} organisation "${ref}"`);
    cache.set(ref, row.id);
    return row.id;
  };
}

interface CardRow {
  msisdn: string;
  imsi: string | null;
  holderId: string;
  holderRegion: string | null;
  cardType: CardType;
  activatedAt: string | null;
  operator: string;
  /** The optional `cancelled_at` column: the operator cancelled the card then. */
  cancelledAt: string | null;
  /** The optional `outlet` column: the sales outlet that opened it. */
  outlet: string | null;
}

export function cardImport(
  cipher: PiiCipher,
  bus: Pick<EventBus, 'publish'>,
  defaultOperator?: string,
): ImportSpec<CardRow> {
  const operatorId = organisationResolver('telecom_operator', 'operator');
  return {
    kind: 'cards',
    required: ['msisdn', 'imsi', 'holder_id', 'holder_region', 'card_type', 'activated_at', 'operator'],
    prepare(r): Prepared<CardRow> {
      const msisdn = normaliseMsisdn(r.msisdn ?? '');
      if (!msisdn)
        return { ok: false, reason: `msisdn: not a phone number: "${(r.msisdn ?? '').slice(0, 40)}"` };
      const cardType = (r.card_type || 'consumer') as CardType;
      if (!CARD_TYPES.includes(cardType))
        return { ok: false, reason: `card_type must be ${CARD_TYPES.join(' or ')}` };
      const bad =
        checkTime(r.activated_at ?? '', 'activated_at') ??
        checkTime(r.cancelled_at ?? '', 'cancelled_at') ??
        checkHolder(r.holder_id ?? '');
      if (bad) return { ok: false, reason: bad };
      if (r.cancelled_at && r.activated_at && Date.parse(r.cancelled_at) < Date.parse(r.activated_at))
        return { ok: false, reason: 'cancelled_at is before activated_at' };
      if ((r.outlet ?? '').trim().length > 64) return { ok: false, reason: 'outlet: at most 64 characters' };
      const operator = r.operator || defaultOperator || '';
      if (!operator) return { ok: false, reason: 'operator is empty' };
      return {
        ok: true,
        value: {
          msisdn,
          imsi: r.imsi || null,
          holderId: r.holder_id ?? '',
          holderRegion: r.holder_region || null,
          cardType,
          activatedAt: r.activated_at || null,
          operator,
          cancelledAt: r.cancelled_at || null,
          outlet: r.outlet || null,
        },
      };
    },
    async write(tx, v) {
      const org = await operatorId(tx, v.operator);
      const holder = v.holderId
        ? (await ensurePerson(tx, cipher, bus, SYSTEM, { idNumber: v.holderId, organisationId: org })).id
        : null;
      const card = {
        msisdn: v.msisdn,
        imsi: v.imsi,
        holderPersonId: holder,
        operatorOrgId: org,
        cardType: v.cardType,
        holderRegion: v.holderRegion,
        activatedAt: v.activatedAt,
        outlet: v.outlet,
      };
      if (v.cancelledAt) await recordCancelledPhoneCard(tx, SYSTEM, { ...card, cancelledAt: v.cancelledAt });
      else await addPhoneCard(tx, SYSTEM, card);
    },
  };
}

interface AccountRow {
  account: string;
  institution: string;
  holderId: string;
  accountType: AccountType;
  openedAt: string | null;
  /** The optional `closed_at` column: the bank closed the account then. */
  closedAt: string | null;
}

export function accountImport(
  cipher: PiiCipher,
  bus: Pick<EventBus, 'publish'>,
  defaultInstitution?: string,
): ImportSpec<AccountRow> {
  const institutionId = organisationResolver('bank', 'institution');
  return {
    kind: 'accounts',
    required: ['account', 'institution', 'holder_id', 'account_type', 'opened_at'],
    prepare(r): Prepared<AccountRow> {
      const account = normaliseAccount(r.account ?? '');
      if (!account) return { ok: false, reason: 'account: 4–40 letters and digits expected' };
      const accountType = (r.account_type || 'personal') as AccountType;
      if (!ACCOUNT_TYPES.includes(accountType))
        return { ok: false, reason: `account_type must be ${ACCOUNT_TYPES.join(' or ')}` };
      const bad =
        checkTime(r.opened_at ?? '', 'opened_at') ??
        checkTime(r.closed_at ?? '', 'closed_at') ??
        checkHolder(r.holder_id ?? '');
      if (bad) return { ok: false, reason: bad };
      if (r.closed_at && r.opened_at && Date.parse(r.closed_at) < Date.parse(r.opened_at))
        return { ok: false, reason: 'closed_at is before opened_at' };
      const institution = r.institution || defaultInstitution || '';
      if (!institution) return { ok: false, reason: 'institution is empty' };
      return {
        ok: true,
        value: {
          account,
          institution,
          holderId: r.holder_id ?? '',
          accountType,
          openedAt: r.opened_at || null,
          closedAt: r.closed_at || null,
        },
      };
    },
    async write(tx, v) {
      const org = await institutionId(tx, v.institution);
      const holder = v.holderId
        ? (await ensurePerson(tx, cipher, bus, SYSTEM, { idNumber: v.holderId, organisationId: org })).id
        : null;
      const account = {
        account: v.account,
        institutionOrgId: org,
        holderPersonId: holder,
        accountType: v.accountType,
        openedAt: v.openedAt,
      };
      // A row without closed_at leaves a closed account closed: a closure is final.
      if (v.closedAt) await recordClosedBankAccount(tx, SYSTEM, { ...account, closedAt: v.closedAt });
      else await addBankAccount(tx, SYSTEM, account);
    },
  };
}
