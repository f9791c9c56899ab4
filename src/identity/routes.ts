import { z } from 'zod';
import type { Api, Services } from '../api/types.ts';
import { principalOf } from '../api/access.ts';
import { SESSION_COOKIE } from '../api/server.ts';
import { unauthorized } from '../core/errors.ts';
import { Problem } from '../api/problem.ts';
import { ORGANISATION_KINDS, ROLES, type Principal } from './model.ts';
import {
  API_KEY_SCOPES,
  assertManages,
  createApiKey,
  createUser,
  disableUser,
  revokeApiKey,
  signIn,
  signOut,
} from './service.ts';

const Role = z.enum(ROLES);
const OrgKind = z.enum(ORGANISATION_KINDS);

const SessionView = z
  .object({
    user: z.object({ id: z.string(), username: z.string(), displayName: z.string(), roles: z.array(Role) }),
    organisation: z.object({ id: z.string(), name: z.string(), kind: OrgKind }),
  })
  .meta({ id: 'Session' });

const Organisation = z.object({
  id: z.string(),
  name: z.string(),
  kind: OrgKind,
  timeZone: z.string(),
  createdAt: z.string(),
});
const User = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  organisationId: z.string(),
  organisationName: z.string(),
  roles: z.array(Role),
  disabled: z.boolean(),
  createdAt: z.string(),
});
const ApiKey = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  organisationId: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem };
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const admins = { roles: ['administrator'] } as const;
const anyone = { roles: ROLES } as const;

export function identityRoutes(app: Api, s: Services): void {
  const { db, bus } = s;

  async function sessionView(p: Principal) {
    const row = await db
      .selectFrom('users')
      .innerJoin('organisations', 'organisations.id', 'users.organisation_id')
      .select([
        'users.id',
        'users.username',
        'users.display_name',
        'users.roles',
        'organisations.id as org_id',
        'organisations.name as org_name',
        'organisations.kind',
      ])
      .where('users.id', '=', p.id)
      .executeTakeFirstOrThrow();
    return {
      user: { id: row.id, username: row.username, displayName: row.display_name, roles: row.roles },
      organisation: { id: row.org_id, name: row.org_name, kind: row.kind },
    };
  }

  app.post(
    '/v1/auth/session',
    {
      config: { access: { public: true, rateLimitPerMinute: 30 } },
      schema: {
        tags: ['identity'],
        summary: 'Sign in to the console (sets the session cookie)',
        body: z.strictObject({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) }),
        response: { 200: SessionView, ...errors, 429: Problem },
      },
    },
    async (req, reply) => {
      const { token, principal, expiresAt } = await signIn(
        db,
        req.body.username,
        req.body.password,
        s.config.sessionTtlMs,
      );
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
        expires: expiresAt,
      });
      req.log.info({ user: principal.id }, 'signed in');
      return sessionView(principal);
    },
  );

  app.get(
    '/v1/auth/session',
    {
      config: { access: anyone },
      schema: {
        tags: ['identity'],
        summary: 'The signed-in user and organisation',
        response: { 200: SessionView, ...errors },
      },
    },
    async (req) => {
      const p = principalOf(req);
      if (p.kind !== 'user') throw unauthorized('this route is for console sessions');
      return sessionView(p);
    },
  );

  app.delete(
    '/v1/auth/session',
    {
      config: { access: { public: true } },
      schema: { tags: ['identity'], summary: 'Sign out', response: { 204: z.undefined(), 429: Problem } },
    },
    async (req, reply) => {
      const token = req.cookies[SESSION_COOKIE];
      if (token) {
        await signOut(db, token);
        s.principals.delete(`session:${token}`);
      }
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );

  // --- organisations -------------------------------------------------------------------------
  app.get(
    '/v1/organisations',
    {
      config: { access: anyone },
      schema: {
        tags: ['identity'],
        summary: 'Organisations taking part',
        response: { 200: z.object({ items: z.array(Organisation) }), ...errors },
      },
    },
    async () => {
      const rows = await db.selectFrom('organisations').selectAll().orderBy('name').execute();
      return {
        items: rows.map((r) => ({
          id: r.id,
          name: r.name,
          kind: r.kind,
          timeZone: r.time_zone,
          createdAt: iso(r.created_at)!,
        })),
      };
    },
  );

  // --- users ---------------------------------------------------------------------------------
  app.get(
    '/v1/users',
    {
      config: { access: { roles: ['administrator', 'auditor'] } },
      schema: {
        tags: ['identity'],
        summary: 'Users (of your organisation; all for the anti-fraud centre)',
        response: { 200: z.object({ items: z.array(User) }), ...errors },
      },
    },
    async (req) => {
      const p = principalOf(req);
      let q = db
        .selectFrom('users')
        .innerJoin('organisations', 'organisations.id', 'users.organisation_id')
        .select([
          'users.id',
          'users.username',
          'users.display_name',
          'users.organisation_id',
          'organisations.name as org_name',
          'users.roles',
          'users.disabled_at',
          'users.created_at',
        ])
        .orderBy('organisations.name')
        .orderBy('users.username');
      if (p.organisationKind !== 'anti_fraud_centre')
        q = q.where('users.organisation_id', '=', p.organisationId);
      const rows = await q.execute();
      return {
        items: rows.map((r) => ({
          id: r.id,
          username: r.username,
          displayName: r.display_name,
          organisationId: r.organisation_id,
          organisationName: r.org_name,
          roles: r.roles,
          disabled: r.disabled_at !== null,
          createdAt: iso(r.created_at)!,
        })),
      };
    },
  );

  app.post(
    '/v1/users',
    {
      config: { access: admins },
      schema: {
        tags: ['identity'],
        summary: 'Create a user',
        body: z.strictObject({
          organisationId: z.uuid(),
          username: z
            .string()
            .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, 'lower-case letters, digits, . _ - (3–64)'),
          displayName: z.string().min(1).max(200),
          password: z.string().min(10).max(1000),
          roles: z.array(Role).min(1),
        }),
        response: { 201: z.object({ id: z.string() }), ...errors },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      assertManages(p, req.body.organisationId);
      const id = await createUser(db, bus, p, req.body);
      return reply.code(201).send({ id });
    },
  );

  app.delete(
    '/v1/users/:id',
    {
      config: { access: admins },
      schema: {
        tags: ['identity'],
        summary: 'Disable a user and end their sessions',
        params: z.object({ id: z.uuid() }),
        response: { 204: z.undefined(), ...errors },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const user = await db
        .selectFrom('users')
        .select('organisation_id')
        .where('id', '=', req.params.id)
        .executeTakeFirst();
      if (user) assertManages(p, user.organisation_id);
      await disableUser(db, bus, p, req.params.id);
      s.principals.evictPrincipal(req.params.id);
      return reply.code(204).send();
    },
  );

  // --- API keys ------------------------------------------------------------------------------
  app.get(
    '/v1/api-keys/scopes',
    {
      config: { access: admins },
      schema: {
        tags: ['identity'],
        summary: 'Scopes an API key can be granted',
        response: { 200: z.object({ items: z.array(z.string()) }), ...errors },
      },
    },
    async () => ({ items: [...API_KEY_SCOPES] }),
  );

  app.get(
    '/v1/api-keys',
    {
      config: { access: { roles: ['administrator', 'auditor'] } },
      schema: {
        tags: ['identity'],
        summary: 'API keys (never their secrets)',
        response: { 200: z.object({ items: z.array(ApiKey) }), ...errors },
      },
    },
    async (req) => {
      const p = principalOf(req);
      let q = db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc');
      if (p.organisationKind !== 'anti_fraud_centre') q = q.where('organisation_id', '=', p.organisationId);
      const rows = await q.execute();
      return {
        items: rows.map((r) => ({
          id: r.id,
          name: r.name,
          prefix: r.prefix,
          scopes: r.scopes,
          organisationId: r.organisation_id,
          createdAt: iso(r.created_at)!,
          lastUsedAt: iso(r.last_used_at),
          revokedAt: iso(r.revoked_at),
        })),
      };
    },
  );

  app.post(
    '/v1/api-keys',
    {
      config: { access: admins },
      schema: {
        tags: ['identity'],
        summary: 'Create an API key (the key is in this answer only)',
        body: z.strictObject({
          name: z.string().min(1).max(200),
          scopes: z.array(z.enum(API_KEY_SCOPES)).min(1),
          organisationId: z.uuid().optional(),
        }),
        response: {
          201: z.object({
            id: z.string(),
            name: z.string(),
            prefix: z.string(),
            scopes: z.array(z.string()),
            key: z.string(),
          }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const organisationId = req.body.organisationId ?? p.organisationId;
      assertManages(p, organisationId);
      const created = await createApiKey(db, bus, p, {
        organisationId,
        name: req.body.name,
        scopes: req.body.scopes,
        createdBy: p.id,
      });
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ ...created, name: req.body.name, scopes: req.body.scopes });
    },
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      config: { access: admins },
      schema: {
        tags: ['identity'],
        summary: 'Revoke an API key',
        params: z.object({ id: z.uuid() }),
        response: { 204: z.undefined(), ...errors },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      await revokeApiKey(
        db,
        bus,
        p,
        req.params.id,
        p.organisationKind === 'anti_fraud_centre' ? undefined : p.organisationId,
      );
      s.principals.evictPrincipal(req.params.id);
      return reply.code(204).send();
    },
  );
}
