import { sql, type ColumnType, type Generated, type Kysely, type Selectable } from 'kysely';
import { z } from 'zod';
import { audit, type Actor } from '../core/audit.ts';
import type { EventBus } from '../core/bus/index.ts';
import { registerEvent } from '../core/bus/events.ts';
import type { Migrations } from '../core/db/migrate.ts';
import type { DB } from '../core/db/schema.ts';
import { badRequest, conflict, forbidden, notFound } from '../core/errors.ts';
import type { Principal } from '../identity/model.ts';
import { DEFAULT_POLICIES, validatePolicy, type Policy } from './engine/policy.ts';
import { EVENT_KINDS, type Action, type EventKind } from './engine/types.ts';

/**
 * Decision policies as versioned data (docs/decisions.md, "Policies"). A policy id names one slot —
 * a channel (or `*`) for the nation or for one institution — and every change is a new version of
 * it. A version is a draft, runs in shadow beside the active one (decisions report what it would
 * have decided), is active (at most one per slot) or retired. Decision nodes load the active and
 * shadow versions and reload them on `policy.changed`.
 */

export const POLICY_STATES = ['draft', 'shadow', 'active', 'retired'] as const;
export type PolicyState = (typeof POLICY_STATES)[number];

export interface DecisionPoliciesTable {
  id: string;
  version: number;
  channel: string;
  institution_id: string | null;
  /** `{ rules, default, onMalformed?, description? }` */
  body: ColumnType<PolicyBody, string, string>;
  state: PolicyState;
  created_by: string;
  created_by_id: string | null;
  created_at: Generated<Date>;
  state_changed_by: string;
  state_changed_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

declare module '../core/db/schema.ts' {
  interface DB {
    decision_policies: DecisionPoliciesTable;
  }
}

type PolicyBody = Pick<Policy, 'rules' | 'default' | 'onMalformed' | 'contentRules' | 'description'>;

const ID_RE = /^[a-z0-9][a-z0-9_.:-]{0,63}$/;
/** Stands for the nation in the one-active-per-slot index (no organisation has this id). */
const NATION = '00000000-0000-0000-0000-000000000000';

export const policyMigrations: Migrations = {
  '0004_registry_4_policies': {
    async up(db) {
      const channels = sql.raw(`(${['*', ...EVENT_KINDS].map((c) => `'${c}'`).join(',')})`);
      await sql`
        create table decision_policies (
          id text not null check (id ~ ${sql.lit(ID_RE.source)}),
          version integer not null check (version > 0),
          channel text not null check (channel in ${channels}),
          institution_id uuid references organisations(id),
          body jsonb not null check (jsonb_typeof(body) = 'object'),
          state text not null check (state in ('draft', 'shadow', 'active', 'retired')),
          created_by text not null,
          created_by_id text,
          created_at timestamptz not null default now(),
          state_changed_by text not null,
          state_changed_at timestamptz not null default now(),
          primary key (id, version)
        )`.execute(db);
      // At most one active and one shadow version per slot, enforced by the database itself.
      for (const state of ['active', 'shadow'])
        await sql`
          create unique index ${sql.raw(`decision_policies_one_${state}`)} on decision_policies
            (coalesce(institution_id, ${sql.lit(NATION)}::uuid), channel) where state = ${sql.lit(state)}`.execute(
          db,
        );
      // The national defaults of the code, as version 1 of each national policy.
      for (const p of DEFAULT_POLICIES)
        await sql`
          insert into decision_policies (id, version, channel, institution_id, body, state, created_by, state_changed_by)
          values (${p.id}, ${p.version}, ${p.channel}, null, ${JSON.stringify(bodyOf(p))}::jsonb, 'active',
                  'interdict', 'interdict')`.execute(db);
    },
  },
};

// --- event ------------------------------------------------------------------------------------

const PolicyChanged = z.strictObject({
  id: z.string().describe('the policy (its slot)'),
  version: z.number().int().positive().describe('the version whose state changed'),
  channel: z.string().describe('event kind, or * for every kind'),
  institutionId: z.uuid().nullable().describe('null: the national policy'),
  state: z.enum(POLICY_STATES).describe('its new state'),
  previous: z.enum(POLICY_STATES).nullable().describe('its state before; null when just created'),
});
export type PolicyChangedEvent = z.infer<typeof PolicyChanged>;

declare module '../core/bus/events.ts' {
  interface EventMap {
    'policy.changed': PolicyChangedEvent;
  }
}

registerEvent(
  'policy.changed',
  'A decision policy version was created, put in shadow, activated or retired; decision nodes reload their policies.',
  PolicyChanged,
  { keyField: 'id' },
);

// --- views ------------------------------------------------------------------------------------

export interface PolicyVersion {
  policy: Policy;
  state: PolicyState;
  createdBy: string;
  createdAt: Date;
  stateChangedBy: string;
  stateChangedAt: Date;
}

function bodyOf(p: Policy): PolicyBody {
  return {
    rules: p.rules,
    default: p.default,
    ...(p.onMalformed !== undefined ? { onMalformed: p.onMalformed } : {}),
    ...(p.contentRules !== undefined ? { contentRules: p.contentRules } : {}),
    ...(p.description !== undefined ? { description: p.description } : {}),
  };
}

type Row = Selectable<DecisionPoliciesTable>;

function toVersion(r: Row): PolicyVersion {
  const body = (typeof r.body === 'string' ? JSON.parse(r.body) : r.body) as PolicyBody;
  return {
    policy: Object.freeze({
      id: r.id,
      version: Number(r.version),
      channel: r.channel as EventKind | '*',
      institutionId: r.institution_id,
      ...body,
    }),
    state: r.state,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at),
    stateChangedBy: r.state_changed_by,
    stateChangedAt: new Date(r.state_changed_at),
  };
}

/** Active and shadow policies, for a decision node. */
export async function loadLivePolicies(
  db: Kysely<DB>,
): Promise<{ active: Policy[]; shadow: Policy[]; signature: string }> {
  const rows = await db
    .selectFrom('decision_policies')
    .selectAll()
    .where('state', 'in', ['active', 'shadow'])
    .orderBy('id')
    .orderBy('version')
    .execute();
  const vs = rows.map(toVersion);
  return {
    active: vs.filter((v) => v.state === 'active').map((v) => v.policy),
    shadow: vs.filter((v) => v.state === 'shadow').map((v) => v.policy),
    signature: vs.map((v) => `${v.policy.id}@${v.policy.version}:${v.state}`).join(','),
  };
}

/** What `p` may see: the centre sees every policy; others the national ones and their own. */
function visibleTo(p: Principal): string | null {
  return p.organisationKind === 'anti_fraud_centre' ? null : p.organisationId;
}

export async function listPolicies(
  db: Kysely<DB>,
  p: Principal,
  opts: { state?: PolicyState; id?: string } = {},
): Promise<PolicyVersion[]> {
  let q = db.selectFrom('decision_policies').selectAll();
  const org = visibleTo(p);
  if (org !== null)
    q = q.where((eb) => eb.or([eb('institution_id', 'is', null), eb('institution_id', '=', org)]));
  if (opts.state) q = q.where('state', '=', opts.state);
  if (opts.id) q = q.where('id', '=', opts.id);
  const rows = await q.orderBy('id').orderBy('version', 'desc').execute();
  return rows.map(toVersion);
}

export async function getPolicyVersion(
  db: Kysely<DB>,
  p: Principal | null,
  id: string,
  version: number,
): Promise<PolicyVersion> {
  const r = await db
    .selectFrom('decision_policies')
    .selectAll()
    .where('id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  const org = p ? visibleTo(p) : null;
  if (!r || (org !== null && r.institution_id !== null && r.institution_id !== org))
    throw notFound(`policy ${id} version ${version}`);
  return toVersion(r);
}

/** Centre supervisors and administrators change any policy; an institution's administrators its own. */
function assertMayChange(p: Principal, institutionId: string | null): void {
  if (p.organisationKind === 'anti_fraud_centre') {
    if (p.roles.includes('supervisor') || p.roles.includes('administrator')) return;
    throw forbidden('only supervisors and administrators of the centre change decision policies');
  }
  if (institutionId === null)
    throw forbidden(
      'only the anti-fraud centre changes the national policies; institutions change their own',
    );
  if (institutionId !== p.organisationId)
    throw forbidden("an institution changes only its own policies, not another institution's");
  if (!p.roles.includes('administrator'))
    throw forbidden("only an institution's administrators change its policies");
}

export interface NewPolicyVersion {
  id: string;
  channel: EventKind | '*';
  institutionId: string | null;
  rules: Policy['rules'];
  default: Action;
  onMalformed?: Action;
  contentRules?: Policy['contentRules'];
  description?: string;
}

/**
 * Saves a new draft version of policy `input.id` (version = last + 1). A policy id stays in its
 * slot: a new version cannot move it to another channel or institution.
 */
export async function createPolicyVersion(
  db: Kysely<DB>,
  bus: Pick<EventBus, 'publish'>,
  actor: Principal,
  input: NewPolicyVersion,
  requestId?: string,
): Promise<PolicyVersion> {
  if (!ID_RE.test(input.id))
    throw badRequest('invalid_policy', 'id: lower-case letters, digits and . _ : - (at most 64)');
  assertMayChange(actor, input.institutionId);
  return db.transaction().execute(async (tx) => {
    // One writer per policy id at a time, so two drafts never take the same version.
    await sql`select pg_advisory_xact_lock(hashtext(${`policy:${input.id}`}))`.execute(tx);
    const last = await tx
      .selectFrom('decision_policies')
      .select(['version', 'channel', 'institution_id'])
      .where('id', '=', input.id)
      .orderBy('version', 'desc')
      .executeTakeFirst();
    if (last && (last.channel !== input.channel || last.institution_id !== input.institutionId))
      throw conflict(
        'policy_slot_mismatch',
        `policy ${input.id} is for channel ${last.channel} of ${last.institution_id ?? 'the nation'}; a new version cannot move it`,
      );
    if (!last) {
      // A new id must not shadow another id's slot by accident: one id per slot.
      const other = await tx
        .selectFrom('decision_policies')
        .select('id')
        .where('channel', '=', input.channel)
        .where((eb) =>
          input.institutionId === null
            ? eb('institution_id', 'is', null)
            : eb('institution_id', '=', input.institutionId),
        )
        .executeTakeFirst();
      if (other)
        throw conflict(
          'policy_slot_taken',
          `policy ${other.id} already covers this channel and institution: add a version of it`,
        );
    }
    const policy: Policy = {
      id: input.id,
      version: (last ? Number(last.version) : 0) + 1,
      channel: input.channel,
      institutionId: input.institutionId,
      rules: input.rules,
      default: input.default,
      ...(input.onMalformed !== undefined ? { onMalformed: input.onMalformed } : {}),
      ...(input.contentRules !== undefined ? { contentRules: input.contentRules } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
    };
    const errors = validatePolicy(policy);
    if (errors.length) throw badRequest('invalid_policy', errors.join('; '));
    await tx
      .insertInto('decision_policies')
      .values({
        id: policy.id,
        version: policy.version,
        channel: policy.channel,
        institution_id: policy.institutionId,
        body: JSON.stringify(bodyOf(policy)),
        state: 'draft',
        created_by: actor.name,
        created_by_id: actor.id,
        state_changed_by: actor.name,
      })
      .execute();
    await recordState(tx, bus, actor, policy, 'draft', null, requestId);
    return getPolicyVersion(tx, null, policy.id, policy.version);
  });
}

async function recordState(
  tx: Kysely<DB>,
  bus: Pick<EventBus, 'publish'>,
  actor: Actor,
  p: Policy,
  state: PolicyState,
  previous: PolicyState | null,
  requestId?: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  await bus.publish(
    tx,
    'policy.changed',
    { id: p.id, version: p.version, channel: p.channel, institutionId: p.institutionId, state, previous },
    { key: p.id },
  );
  await audit(
    tx,
    actor,
    {
      action: `policy.${previous === null ? 'created' : state}`,
      targetKind: 'decision_policy',
      targetId: `${p.id}@${p.version}`,
      details: { previous, state, ...details },
    },
    requestId,
  );
}

const ALLOWED: Record<PolicyState, readonly PolicyState[]> = {
  draft: ['shadow', 'active', 'retired'],
  shadow: ['draft', 'active', 'retired'],
  active: ['retired'],
  retired: [],
};

/**
 * Moves a version to `to`. Putting one in shadow takes the slot's shadow from any other version (it
 * goes back to draft); activating one retires the slot's active version. Retiring the active
 * version leaves the slot to the next policy in the selection order (docs/decisions.md).
 */
export async function setPolicyState(
  db: Kysely<DB>,
  bus: Pick<EventBus, 'publish'>,
  actor: Principal,
  id: string,
  version: number,
  to: PolicyState,
  opts: { reason?: string; requestId?: string } = {},
): Promise<PolicyVersion> {
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`policy:${id}`}))`.execute(tx);
    const cur = await getPolicyVersion(tx, actor, id, version);
    assertMayChange(actor, cur.policy.institutionId);
    if (cur.state === to) return cur;
    if (!ALLOWED[cur.state].includes(to))
      throw conflict('policy_state', `a ${cur.state} policy version cannot become ${to}`);
    if (to === 'active' || to === 'shadow') {
      const displaced = await tx
        .selectFrom('decision_policies')
        .select(['id', 'version'])
        .where('id', '=', id)
        .where('state', '=', to)
        .execute();
      for (const d of displaced) {
        const next: PolicyState = to === 'active' ? 'retired' : 'draft';
        await tx
          .updateTable('decision_policies')
          .set({ state: next, state_changed_by: actor.name, state_changed_at: new Date() })
          .where('id', '=', d.id)
          .where('version', '=', d.version)
          .execute();
        const dv = await getPolicyVersion(tx, null, d.id, Number(d.version));
        await recordState(tx, bus, actor, dv.policy, next, to, opts.requestId, {
          replacedBy: version,
        });
      }
    }
    await tx
      .updateTable('decision_policies')
      .set({ state: to, state_changed_by: actor.name, state_changed_at: new Date() })
      .where('id', '=', id)
      .where('version', '=', version)
      .execute();
    await recordState(tx, bus, actor, cur.policy, to, cur.state, opts.requestId, {
      ...(opts.reason ? { reason: opts.reason } : {}),
    });
    return getPolicyVersion(tx, null, id, version);
  });
}
