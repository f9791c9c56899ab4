import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { z } from 'zod';
import type { Services } from '../api/types.ts';
import { notFound } from '../core/errors.ts';
import { INDICATOR_KINDS } from '../core/normalize/index.ts';
import type { Principal } from '../identity/model.ts';
import { ACTIONS, EVENT_KINDS, SCAM_CATEGORY_LIST, type ScamCategory } from '../registry/engine/index.ts';
import type { Rule } from '../registry/engine/policy.ts';
import {
  createPolicyVersion,
  getPolicyVersion,
  listPolicies,
  POLICY_STATES,
  setPolicyState,
  type PolicyState,
  type PolicyVersion,
} from '../registry/policies.ts';
import { cliPrincipal, type Core, UUID_RE, withCore } from './core.ts';
import { printJson, printRows, UsageError } from './output.ts';

/**
 * `interdict policies …`: the decision policies as versioned data (docs/decisions.md, "Policies").
 *
 * The CLI is the operator of the installation: it acts as a user "cli" of the anti-fraud centre
 * with the supervisor and administrator roles (it may change every policy), so that the policy
 * service's permission checks and audit records stay the same as over HTTP. The audit trail
 * names the actor "cli". Replays need a node's recent traffic, which a one-shot command does not
 * have: `policies diff` shows how a version's rules differ from the active version's instead.
 */

function parseVersion(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('not a version number (1, 2, …)');
  return n;
}

function parseState(v: string): PolicyState {
  if (!(POLICY_STATES as readonly string[]).includes(v))
    throw new InvalidArgumentError(`one of ${POLICY_STATES.join(', ')}`);
  return v as PolicyState;
}

async function orgNames(c: Services): Promise<Map<string, string>> {
  const rows = await c.db.selectFrom('organisations').select(['id', 'name']).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

const scopeOf = (institutionId: string | null, names: Map<string, string>) =>
  institutionId === null ? 'national' : (names.get(institutionId) ?? institutionId);

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** One rule in one line: `categories · kinds · roles · ≥ confidence → action (reason)`. */
export function describeRule(r: Rule): string {
  const conds = [
    r.categories ? `categories ${r.categories.join(',')}` : '',
    r.kinds ? `kinds ${r.kinds.join(',')}` : '',
    r.partyRoles ? `roles ${r.partyRoles.join(',')}` : '',
    r.minConfidence !== undefined ? `confidence ≥ ${pct(r.minConfidence)}` : '',
  ].filter(Boolean);
  return `${conds.length ? conds.join(' · ') : 'any listing'} → ${r.action}${r.reason ? ` (${r.reason})` : ''}`;
}

function ruleRows(rules: readonly Rule[]) {
  return rules.map((r, i) => ({
    '#': i + 1,
    categories: r.categories?.join(',') ?? 'all',
    kinds: r.kinds?.join(',') ?? 'all',
    roles: r.partyRoles?.join(',') ?? 'all',
    'min confidence': r.minConfidence !== undefined ? pct(r.minConfidence) : 'any',
    action: r.action,
    reason: r.reason ?? 'listed',
  }));
}

function toJson(v: PolicyVersion) {
  return {
    ...v.policy,
    state: v.state,
    createdBy: v.createdBy,
    createdAt: v.createdAt.toISOString(),
    stateChangedBy: v.stateChangedBy,
    stateChangedAt: v.stateChangedAt.toISOString(),
  };
}

/** The version asked for, else the active one, else the newest. */
async function pick(c: Services, p: Principal, id: string, version?: number): Promise<PolicyVersion> {
  if (version !== undefined) return getPolicyVersion(c.db, p, id, version);
  const all = await listPolicies(c.db, p, { id });
  const v = all.find((x) => x.state === 'active') ?? all[0];
  if (!v) throw notFound(`policy ${id}`);
  return v;
}

// --- the file of `policies create` ----------------------------------------------------------------

const ActionSchema = z.enum(ACTIONS);
const RuleSchema = z.strictObject({
  categories: z
    .array(z.enum(SCAM_CATEGORY_LIST as [ScamCategory, ...ScamCategory[]]))
    .min(1)
    .optional(),
  minConfidence: z.number().min(0).max(1).optional(),
  kinds: z.array(z.enum(INDICATOR_KINDS)).min(1).optional(),
  partyRoles: z.array(z.string().min(1).max(40)).min(1).optional(),
  action: ActionSchema,
  reason: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,39}$/, 'a code: lower-case letters, digits and _ (at most 40)')
    .optional(),
});
/** As the body of POST /v1/policies; `institutionId` may also be an organisation's name. */
const PolicyFile = z.strictObject({
  id: z.string().min(1).max(64),
  channel: z.enum(['*', ...EVENT_KINDS] as [string, ...string[]]),
  institutionId: z.string().min(1).nullable().optional(),
  rules: z.array(RuleSchema).max(200),
  default: ActionSchema,
  onMalformed: ActionSchema.optional(),
  description: z.string().max(1000).optional(),
});

/** Reads and checks a policy file; every problem in one readable message. */
export function readPolicyFile(file: string): z.infer<typeof PolicyFile> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`);
  }
  const r = PolicyFile.safeParse(data);
  if (!r.success) {
    const problems = r.error.issues.map(
      (i) => `  ${i.path.length ? i.path.join('.') : '(file)'}: ${i.message}`,
    );
    throw new UsageError(`${file} is not a valid policy:\n${problems.join('\n')}`);
  }
  return r.data;
}

async function institution(c: Services, ref: string | null | undefined): Promise<string | null> {
  if (ref === null || ref === undefined) return null;
  const r = await c.db
    .selectFrom('organisations')
    .select('id')
    .where((eb) => (UUID_RE.test(ref) ? eb('id', '=', ref) : eb('name', '=', ref)))
    .executeTakeFirst();
  if (!r) throw notFound(`organisation "${ref}"`);
  return r.id;
}

// --- diff ---------------------------------------------------------------------------------------

/** Lines of a rule-by-rule diff (longest common subsequence): `  ` same, `- ` only in `a`, `+ ` only in `b`. */
export function diffRules(a: readonly Rule[], b: readonly Rule[]): string[] {
  const x = a.map(describeRule);
  const y = b.map(describeRule);
  const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--)
    for (let j = y.length - 1; j >= 0; j--)
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      out.push(`  ${x[i]}`);
      i++;
      j++;
    } else if (i < x.length && (j === y.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      out.push(`- ${x[i]}`);
      i++;
    } else {
      out.push(`+ ${y[j]}`);
      j++;
    }
  }
  return out;
}

// --- commands -----------------------------------------------------------------------------------

/**
 * In `policies show <id> --version <n>`, `--version` is the policy's version; commander would give
 * a bare `--version` to the program (print the CLI's version and exit) wherever it stands. Written
 * `--version=<n>` it reaches the subcommand, so that is what this turns it into.
 */
export function policyVersionArgs(argv: string[]): void {
  const at = argv.indexOf('policies');
  if (at < 0 || argv[at + 1] !== 'show') return;
  for (let i = at + 2; i < argv.length - 1; i++) {
    if (argv[i] === '--') return;
    if (argv[i] === '--version' && !argv[i + 1]!.startsWith('-'))
      argv.splice(i, 2, `--version=${argv[i + 1]}`);
  }
}

export function policyCommands(program: Command, core: Core): void {
  policyVersionArgs(process.argv);
  const policies = program
    .command('policies')
    .description('decision policies: versions, shadow runs and activation (docs/decisions.md)');

  policies
    .command('list')
    .description('every version of every policy (by policy, newest version first)')
    .option('--state <state>', POLICY_STATES.join(', '), parseState)
    .option('--json', 'print as JSON')
    .action(async (o: { state?: PolicyState; json?: boolean }) =>
      withCore(core, async (c) => {
        const p = await cliPrincipal(c);
        const items = await listPolicies(c.db, p, o.state ? { state: o.state } : {});
        if (o.json) return printJson(items.map(toJson));
        const names = await orgNames(c);
        printRows(
          items.map((v) => ({
            id: v.policy.id,
            version: v.policy.version,
            state: v.state,
            channel: v.policy.channel,
            for: scopeOf(v.policy.institutionId, names),
            rules: v.policy.rules.length,
            default: v.policy.default,
            changed: `${v.stateChangedAt.toISOString().slice(0, 16).replace('T', ' ')} ${v.stateChangedBy}`,
          })),
          false,
        );
      }),
    );

  policies
    .command('show <id>')
    .description('one version with its rules (default: the active version, else the newest)')
    .option('--version <n>', 'the version', parseVersion)
    .option('--json', 'print as JSON')
    .action(async (id: string, o: { version?: number; json?: boolean }) =>
      withCore(core, async (c) => {
        const v = await pick(c, await cliPrincipal(c), id, o.version);
        if (o.json) return printJson(toJson(v));
        const pol = v.policy;
        const names = await orgNames(c);
        const w = (s: string) => process.stdout.write(s);
        w(`${pol.id} version ${pol.version} (${v.state})\n`);
        w(`channel      ${pol.channel === '*' ? '* (every channel)' : pol.channel}\n`);
        w(`for          ${scopeOf(pol.institutionId, names)}\n`);
        if (pol.description) w(`description  ${pol.description}\n`);
        w(`saved        ${v.createdAt.toISOString()} by ${v.createdBy}\n`);
        w(`${v.state.padEnd(12)} ${v.stateChangedAt.toISOString()} by ${v.stateChangedBy}\n`);
        w('\nrules (top-down; the first that covers a matched listing decides)\n');
        printRows(ruleRows(pol.rules), false);
        w(`\notherwise    ${pol.default}\n`);
        w(`unreadable   ${pol.onMalformed ?? 'allow'} (lowest action when a party cannot be read)\n`);
      }),
    );

  policies
    .command('create <file>')
    .description(
      'save a new version of a policy as a draft from a JSON file: ' +
        '{id, channel, institutionId (null, an id or a name), rules, default, onMalformed?, description?}',
    )
    .option('--json', 'print as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      const body = readPolicyFile(file);
      await withCore(core, async (c) => {
        const v = await createPolicyVersion(c.db, c.bus, await cliPrincipal(c), {
          id: body.id,
          channel: body.channel as never,
          institutionId: await institution(c, body.institutionId),
          rules: body.rules,
          default: body.default,
          ...(body.onMalformed ? { onMalformed: body.onMalformed } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
        });
        if (o.json) printJson(toJson(v));
        else
          process.stdout.write(
            `saved ${v.policy.id} version ${v.policy.version} as a draft ` +
              `(${v.policy.rules.length} rules); see it with: interdict policies diff ${v.policy.id} ${v.policy.version}\n`,
          );
      });
    });

  policies
    .command('diff <id> <version>')
    .description(
      "how the version's rules differ from the active version's (- active only, + this version only)",
    )
    .action(async (id: string, version: string) =>
      withCore(core, async (c) => {
        const p = await cliPrincipal(c);
        const v = await getPolicyVersion(c.db, p, id, parseVersion(version));
        const active = (await listPolicies(c.db, p, { id, state: 'active' }))[0];
        if (!active)
          throw new UsageError(
            `policy ${id} has no active version to compare with (interdict policies list)`,
          );
        const a = active.policy;
        const b = v.policy;
        const w = (s: string) => process.stdout.write(s);
        w(`--- ${a.id} version ${a.version} (active)\n+++ ${b.id} version ${b.version} (${v.state})\n`);
        if (a.version === b.version) {
          w('this is the active version: no differences\n');
          return;
        }
        w('rules:\n');
        for (const line of diffRules(a.rules, b.rules)) w(`${line}\n`);
        const fields: [string, string | undefined, string | undefined][] = [
          ['otherwise', a.default, b.default],
          ['unreadable', a.onMalformed ?? 'allow', b.onMalformed ?? 'allow'],
          ['description', a.description, b.description],
        ];
        for (const [name, before, after] of fields)
          if (before !== after) w(`${name}: ${before ?? '(none)'} → ${after ?? '(none)'}\n`);
          else w(`${name}: ${before ?? '(none)'} (unchanged)\n`);
      }),
    );

  const transitions: [string, PolicyState, string][] = [
    [
      'shadow',
      'shadow',
      'run the version in shadow beside the active one (decisions report what it would do)',
    ],
    ['activate', 'active', 'switch the version on; the active version is retired'],
    [
      'retire',
      'retired',
      'retire the version (an active one: the next policy in the selection order applies)',
    ],
    ['unshadow', 'draft', 'take the version out of shadow, back to draft'],
  ];
  for (const [name, to, description] of transitions)
    policies
      .command(`${name} <id> <version>`)
      .description(description)
      .option('--reason <reason>', 'why (kept in the audit trail)')
      .option('--json', 'print as JSON')
      .action(async (id: string, version: string, o: { reason?: string; json?: boolean }) =>
        withCore(core, async (c) => {
          const p = await cliPrincipal(c);
          const n = parseVersion(version);
          const before = await listPolicies(c.db, p, { id, state: to === 'draft' ? 'shadow' : to });
          const v = await setPolicyState(
            c.db,
            c.bus,
            p,
            id,
            n,
            to,
            o.reason ? { reason: o.reason.trim() } : {},
          );
          if (o.json) return printJson(toJson(v));
          const displaced = before.filter(
            (d) => d.policy.version !== n && (to === 'active' || to === 'shadow'),
          );
          const also = displaced.length
            ? `; version ${displaced.map((d) => d.policy.version).join(', ')} ${to === 'active' ? 'retired' : 'back to draft'}`
            : '';
          process.stdout.write(`${id} version ${n} is now ${v.state}${also}\n`);
        }),
      );
}
