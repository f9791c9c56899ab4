import type { ColumnType, Generated } from 'kysely';
import type { IdType } from './idnumber.ts';

type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export const CARD_TYPES = ['consumer', 'iot'] as const;
export type CardType = (typeof CARD_TYPES)[number];
export const CARD_STATUSES = ['active', 'restricted', 'suspended', 'cancelled'] as const;
export type CardStatus = (typeof CARD_STATUSES)[number];
export const ACCOUNT_TYPES = ['personal', 'corporate'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];
export const ACCOUNT_STATUSES = ['active', 'restricted', 'frozen', 'closed'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/**
 * A natural person (citizen, subscriber, account holder). Name, identity number and birth date
 * are AES-256-GCM ciphertexts under `key_id` (all three under the same key); `id_number_hash`
 * is the keyed hash that finds a person by number. Read only through `access.ts`.
 */
export interface PersonsTable {
  id: string;
  id_type: IdType;
  id_number_hash: string;
  key_id: string;
  name_enc: Buffer;
  id_number_enc: Buffer;
  /** Encrypted `YYYY-MM-DD`; null for documents without a birth date. */
  birth_date_enc: Buffer | null;
  /** First 6 digits of a PRC number (division of registration), clear for statistics; null otherwise. */
  region_code: string | null;
  created_at: DefaultTimestamp;
}

export interface PhoneCardsTable {
  id: string;
  /** E.164. */
  msisdn: string;
  imsi: string | null;
  /** Null when the holder is not a natural person (e.g. a company's IoT cards). */
  holder_person_id: string | null;
  operator_org_id: string;
  card_type: CardType;
  holder_region: string | null;
  activated_at: NullableTimestamp;
  status: ColumnType<CardStatus, CardStatus | undefined, CardStatus>;
  /** When the card was given back (status `cancelled`), when the operator said. */
  cancelled_at: NullableTimestamp;
  /** The sales outlet (channel or shop code) that opened it, when the operator said. */
  outlet: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: DefaultTimestamp;
}

export interface BankAccountsTable {
  id: string;
  /** Normalised: upper case, no spaces or hyphens. */
  account: string;
  institution_org_id: string;
  /** Null for corporate accounts held by no recorded person. */
  holder_person_id: string | null;
  account_type: AccountType;
  opened_at: NullableTimestamp;
  status: ColumnType<AccountStatus, AccountStatus | undefined, AccountStatus>;
  /** When the bank closed it (status `closed`), when the bank said. */
  closed_at: NullableTimestamp;
  created_at: DefaultTimestamp;
}

/** One row per person per read of personal data. Append-only (a trigger rejects updates and deletes). */
export interface PersonalDataAccessTable {
  id: Generated<number>;
  at: ColumnType<Date, never, never>;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string;
  organisation_id: string | null;
  person_id: string;
  fields: string[];
  /** The purpose kind, e.g. `appeal`. */
  purpose: string;
  /** What the purpose refers to, e.g. `APL-2026-0001`; null for kinds without a reference. */
  purpose_ref: string | null;
  /** Whether clear (unmasked) values were given. */
  clear: boolean;
  request_id: string | null;
}

declare module '../core/db/schema.ts' {
  interface DB {
    persons: PersonsTable;
    phone_cards: PhoneCardsTable;
    bank_accounts: BankAccountsTable;
    personal_data_access: PersonalDataAccessTable;
  }
}
