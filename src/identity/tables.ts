import type { ColumnType, Generated } from 'kysely';
import type { OrganisationKind, Role } from './model.ts';

/** Selected as Date; optional on insert where the column has a default. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface OrganisationsTable {
  id: string;
  name: string;
  kind: OrganisationKind;
  /** IANA zone: deadlines given to this organisation are computed in it. */
  time_zone: Generated<string>;
  created_at: DefaultTimestamp;
}

export interface UsersTable {
  id: string;
  organisation_id: string;
  username: string;
  display_name: string;
  password_hash: string;
  roles: Role[];
  disabled_at: NullableTimestamp;
  created_at: DefaultTimestamp;
}

export interface SessionsTable {
  /** SHA-256 of the cookie's token: a database leak yields no usable session. */
  token_hash: string;
  user_id: string;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  organisation_id: string;
  name: string;
  prefix: string;
  secret_hash: string;
  scopes: string[];
  created_by: string | null;
  created_at: DefaultTimestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

declare module '../core/db/schema.ts' {
  interface DB {
    organisations: OrganisationsTable;
    users: UsersTable;
    sessions: SessionsTable;
    api_keys: ApiKeysTable;
  }
}
