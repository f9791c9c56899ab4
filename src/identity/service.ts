import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { AppError, badRequest, conflict, forbidden, notFound } from '../core/errors.ts';
import { audit, type Actor } from '../core/audit.ts';
import type { EventBus } from '../core/bus/index.ts';
import { dummyHash, hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.ts';
import { ROLES, type OrganisationKind, type Principal, type Role } from './model.ts';

type Publisher = Pick<EventBus, 'publish'>;

/** Scopes an institution's API key can be granted; each route names the one it needs. */
export const API_KEY_SCOPES = [
  'decisions:write',
  'listings:read',
  'listings:write',
  'policies:read',
  'reports:write',
  'detections:read',
  'detections:write',
  'records:write',
  'instructions:read',
  'instructions:write',
  'appeals:read',
  'appeals:write',
  'stop_payments:read',
  'stop_payments:write',
  'warnings:read',
  'warnings:write',
  'persons:read',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface OrganisationInput {
  name: string;
  kind: OrganisationKind;
  timeZone?: string;
}

export async function createOrganisation(
  q: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  input: OrganisationInput,
): Promise<string> {
  const id = crypto.randomUUID();
  return q.transaction().execute(async (tx) => {
    const exists = await tx
      .selectFrom('organisations')
      .select('id')
      .where('name', '=', input.name)
      .executeTakeFirst();
    if (exists) throw conflict('organisation_exists', `an organisation named "${input.name}" already exists`);
    await tx
      .insertInto('organisations')
      .values({
        id,
        name: input.name,
        kind: input.kind,
        ...(input.timeZone ? { time_zone: input.timeZone } : {}),
      })
      .execute();
    await audit(tx, actor, { action: 'organisation.create', targetKind: 'organisation', targetId: id });
    await bus.publish(
      tx,
      'organisation.created',
      { organisationId: id, name: input.name, kind: input.kind },
      { key: id },
    );
    return id;
  });
}

export interface UserInput {
  organisationId: string;
  username: string;
  displayName: string;
  password: string;
  roles: Role[];
}

export async function createUser(
  q: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  input: UserInput,
): Promise<string> {
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw badRequest('weak_password', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const bad = input.roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (bad.length || input.roles.length === 0)
    throw badRequest('invalid_role', `unknown roles: ${bad.join(', ') || '(none given)'}`);
  const id = crypto.randomUUID();
  const passwordHash = await hashPassword(input.password);
  return q.transaction().execute(async (tx) => {
    const org = await tx
      .selectFrom('organisations')
      .select('id')
      .where('id', '=', input.organisationId)
      .executeTakeFirst();
    if (!org) throw notFound('organisation');
    const taken = await tx
      .selectFrom('users')
      .select('id')
      .where('username', '=', input.username)
      .executeTakeFirst();
    if (taken) throw conflict('username_taken', `the username "${input.username}" is taken`);
    await tx
      .insertInto('users')
      .values({
        id,
        organisation_id: input.organisationId,
        username: input.username,
        display_name: input.displayName,
        password_hash: passwordHash,
        roles: input.roles,
        disabled_at: null,
      })
      .execute();
    await audit(tx, actor, {
      action: 'user.create',
      targetKind: 'user',
      targetId: id,
      details: { roles: input.roles },
    });
    await bus.publish(
      tx,
      'user.created',
      { userId: id, organisationId: input.organisationId, username: input.username, roles: input.roles },
      { key: id },
    );
    return id;
  });
}

export async function disableUser(
  q: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  userId: string,
): Promise<void> {
  await q.transaction().execute(async (tx) => {
    const r = await tx
      .updateTable('users')
      .set({ disabled_at: new Date() })
      .where('id', '=', userId)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw notFound('active user');
    await tx.deleteFrom('sessions').where('user_id', '=', userId).execute();
    await audit(tx, actor, { action: 'user.disable', targetKind: 'user', targetId: userId });
    await bus.publish(tx, 'user.disabled', { userId }, { key: userId });
  });
}

export async function setPassword(
  q: Kysely<DB>,
  actor: Actor,
  username: string,
  password: string,
): Promise<void> {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw badRequest('weak_password', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const hash = await hashPassword(password);
  await q.transaction().execute(async (tx) => {
    const user = await tx
      .selectFrom('users')
      .select('id')
      .where('username', '=', username)
      .executeTakeFirst();
    if (!user) throw notFound('user');
    await tx.updateTable('users').set({ password_hash: hash }).where('id', '=', user.id).execute();
    await tx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    await audit(tx, actor, { action: 'user.set_password', targetKind: 'user', targetId: user.id });
  });
}

// --- sessions -------------------------------------------------------------------------------

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('base64url');

const invalidCredentials = () =>
  new AppError(401, 'invalid_credentials', 'the username or password is wrong');

/** Checks a username and password; returns a new session token (to put in a cookie) and the principal. */
export async function signIn(
  q: Kysely<DB>,
  username: string,
  password: string,
  ttlMs: number,
): Promise<{ token: string; principal: Principal; expiresAt: Date }> {
  const row = await q
    .selectFrom('users')
    .innerJoin('organisations', 'organisations.id', 'users.organisation_id')
    .select([
      'users.id',
      'users.username',
      'users.password_hash',
      'users.roles',
      'users.disabled_at',
      'users.organisation_id',
      'organisations.kind',
    ])
    .where('users.username', '=', username)
    .executeTakeFirst();
  if (!row) {
    await verifyPassword(password, await dummyHash());
    throw invalidCredentials();
  }
  const ok = await verifyPassword(password, row.password_hash);
  if (!ok || row.disabled_at) throw invalidCredentials();
  const token = crypto.randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlMs);
  await q
    .insertInto('sessions')
    .values({ token_hash: sha256(token), user_id: row.id, expires_at: expiresAt })
    .execute();
  return {
    token,
    expiresAt,
    principal: userPrincipal(row),
  };
}

export async function signOut(q: Kysely<DB>, token: string): Promise<void> {
  await q.deleteFrom('sessions').where('token_hash', '=', sha256(token)).execute();
}

export async function principalFromSession(q: Kysely<DB>, token: string): Promise<Principal | null> {
  const row = await q
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .innerJoin('organisations', 'organisations.id', 'users.organisation_id')
    .select(['users.id', 'users.username', 'users.roles', 'users.organisation_id', 'organisations.kind'])
    .where('sessions.token_hash', '=', sha256(token))
    .where('sessions.expires_at', '>', new Date())
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst();
  return row ? userPrincipal(row) : null;
}

function userPrincipal(row: {
  id: string;
  username: string;
  organisation_id: string;
  kind: OrganisationKind;
  roles: Role[];
}): Principal {
  return {
    kind: 'user',
    id: row.id,
    name: row.username,
    organisationId: row.organisation_id,
    organisationKind: row.kind,
    roles: row.roles,
    scopes: [],
  };
}

// --- API keys -------------------------------------------------------------------------------

/**
 * Keys look like `idk_<prefix>_<secret>`. The prefix finds the row; only a SHA-256 of the secret
 * is stored (the secret has 256 bits of entropy, so a slow hash adds nothing), and the whole key
 * is shown once, at creation.
 */
export async function createApiKey(
  q: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  input: { organisationId: string; name: string; scopes: string[]; createdBy?: string | null },
): Promise<{ id: string; key: string; prefix: string }> {
  const unknown = input.scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw badRequest('invalid_scope', `unknown scopes: ${unknown.join(', ')}`);
  if (input.scopes.length === 0) throw badRequest('invalid_scope', 'an API key needs at least one scope');
  const id = crypto.randomUUID();
  const prefix = crypto.randomBytes(6).toString('hex');
  const secret = crypto.randomBytes(32).toString('base64url');
  await q.transaction().execute(async (tx) => {
    const org = await tx
      .selectFrom('organisations')
      .select(['id', 'kind'])
      .where('id', '=', input.organisationId)
      .executeTakeFirst();
    if (!org) throw notFound('organisation');
    if (org.kind === 'public') throw badRequest('invalid_organisation', 'the public cannot hold API keys');
    await tx
      .insertInto('api_keys')
      .values({
        id,
        organisation_id: input.organisationId,
        name: input.name,
        prefix,
        secret_hash: sha256(secret),
        scopes: input.scopes,
        created_by: input.createdBy ?? null,
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
    await audit(tx, actor, {
      action: 'api_key.create',
      targetKind: 'api_key',
      targetId: id,
      details: { name: input.name, scopes: input.scopes, prefix },
    });
    await bus.publish(
      tx,
      'api_key.created',
      { apiKeyId: id, organisationId: input.organisationId, name: input.name, scopes: input.scopes },
      { key: input.organisationId },
    );
  });
  return { id, key: `idk_${prefix}_${secret}`, prefix };
}

export async function revokeApiKey(
  q: Kysely<DB>,
  bus: Publisher,
  actor: Actor,
  id: string,
  limitToOrganisation?: string,
): Promise<void> {
  await q.transaction().execute(async (tx) => {
    const key = await tx
      .selectFrom('api_keys')
      .select(['organisation_id', 'revoked_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!key || (limitToOrganisation && key.organisation_id !== limitToOrganisation))
      throw notFound('API key');
    if (key.revoked_at) throw conflict('already_revoked', 'this API key is already revoked');
    await tx.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', id).execute();
    await audit(tx, actor, { action: 'api_key.revoke', targetKind: 'api_key', targetId: id });
    await bus.publish(
      tx,
      'api_key.revoked',
      { apiKeyId: id, organisationId: key.organisation_id },
      { key: key.organisation_id },
    );
  });
}

const KEY_RE = /^idk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** Resolves an API key; `null` for unknown, malformed or revoked keys. */
export async function principalFromApiKey(q: Kysely<DB>, presented: string): Promise<Principal | null> {
  const m = KEY_RE.exec(presented);
  if (!m) return null;
  const [, prefix, secret] = m as unknown as [string, string, string];
  const row = await q
    .selectFrom('api_keys')
    .innerJoin('organisations', 'organisations.id', 'api_keys.organisation_id')
    .select([
      'api_keys.id',
      'api_keys.name',
      'api_keys.secret_hash',
      'api_keys.scopes',
      'api_keys.revoked_at',
      'api_keys.last_used_at',
      'api_keys.organisation_id',
      'organisations.kind',
    ])
    .where('api_keys.prefix', '=', prefix)
    .executeTakeFirst();
  if (!row || row.revoked_at) return null;
  const a = Buffer.from(row.secret_hash);
  const b = Buffer.from(sha256(secret));
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return null;
  // last_used_at is advisory: update at most once a minute to keep the hot path write-free.
  if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > 60_000) {
    await q.updateTable('api_keys').set({ last_used_at: new Date() }).where('id', '=', row.id).execute();
  }
  return {
    kind: 'api_key',
    id: row.id,
    name: row.name,
    organisationId: row.organisation_id,
    organisationKind: row.kind,
    roles: ['institution_operator'],
    scopes: row.scopes,
  };
}

/** Administrators manage their own organisation; the anti-fraud centre's administrators manage all. */
export function assertManages(actor: Principal, organisationId: string): void {
  if (actor.organisationKind === 'anti_fraud_centre') return;
  if (actor.organisationId !== organisationId) throw forbidden('you may only manage your own organisation');
}
