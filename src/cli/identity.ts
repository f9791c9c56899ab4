import crypto from 'node:crypto';
import type { Command } from 'commander';
import { SYSTEM } from '../core/audit.ts';
import { notFound } from '../core/errors.ts';
import { ORGANISATION_KINDS, ROLES, type OrganisationKind, type Role } from '../identity/model.ts';
import {
  API_KEY_SCOPES,
  createApiKey,
  createOrganisation,
  createUser,
  disableUser,
  revokeApiKey,
  setPassword,
} from '../identity/service.ts';
import { printJson, printRows, UsageError } from './output.ts';
import { type Core, orgId, withCore, UUID_RE } from './core.ts';

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function oneOf<T extends string>(what: string, allowed: readonly T[], values: string[]): T[] {
  const bad = values.filter((v) => !(allowed as readonly string[]).includes(v));
  if (bad.length)
    throw new UsageError(`unknown ${what}: ${bad.join(', ')} (choose from ${allowed.join(', ')})`);
  return values as T[];
}

/** A password readable aloud: 4 groups of 4 from an alphabet without look-alikes. */
function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.randomBytes(16);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

export function identityCommands(program: Command, core: Core): void {
  const org = program.command('org').description('organisations taking part');
  org
    .command('list')
    .description('list organisations')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) =>
      withCore(core, async (c) => {
        const rows = await c.db
          .selectFrom('organisations')
          .select(['id', 'name', 'kind', 'time_zone'])
          .orderBy('name')
          .execute();
        printRows(rows, o.json);
      }),
    );
  org
    .command('create')
    .description('create an organisation')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--kind <kind>', `one of ${ORGANISATION_KINDS.join(', ')}`)
    .option('--time-zone <zone>', 'IANA time zone for its deadlines', 'Asia/Shanghai')
    .option('--json', 'print as JSON')
    .action(async (o: { name: string; kind: string; timeZone: string; json?: boolean }) =>
      withCore(core, async (c) => {
        const [kind] = oneOf<OrganisationKind>('organisation kind', ORGANISATION_KINDS, [o.kind]);
        const id = await createOrganisation(c.db, c.bus, SYSTEM, {
          name: o.name,
          kind: kind!,
          timeZone: o.timeZone,
        });
        if (o.json) printJson({ id });
        else process.stdout.write(`created organisation ${o.name} (${id})\n`);
      }),
    );

  const user = program.command('user').description('console users');
  user
    .command('list')
    .description('list users')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) =>
      withCore(core, async (c) => {
        const rows = await c.db
          .selectFrom('users')
          .innerJoin('organisations', 'organisations.id', 'users.organisation_id')
          .select([
            'users.username',
            'users.display_name',
            'organisations.name as organisation',
            'users.roles',
            'users.disabled_at',
          ])
          .orderBy('organisations.name')
          .orderBy('users.username')
          .execute();
        printRows(
          rows.map((r) => ({
            username: r.username,
            name: r.display_name,
            organisation: r.organisation,
            roles: r.roles,
            disabled: r.disabled_at ? 'yes' : '',
          })),
          o.json,
        );
      }),
    );
  user
    .command('create')
    .description('create a user; prints a generated password unless --password-stdin is given')
    .requiredOption('--org <name-or-id>', 'organisation')
    .requiredOption('--username <username>', 'sign-in name')
    .option('--display-name <name>', 'name shown in the console')
    .requiredOption('--roles <roles>', `comma-separated: ${ROLES.join(', ')}`)
    .option('--password-stdin', 'read the password from standard input')
    .option('--json', 'print as JSON')
    .action(
      async (o: {
        org: string;
        username: string;
        displayName?: string;
        roles: string;
        passwordStdin?: boolean;
        json?: boolean;
      }) =>
        withCore(core, async (c) => {
          const roles = oneOf<Role>('role', ROLES, list(o.roles));
          const password = o.passwordStdin ? (await readStdin()).trim() : generatePassword();
          const id = await createUser(c.db, c.bus, SYSTEM, {
            organisationId: await orgId(c, o.org),
            username: o.username,
            displayName: o.displayName ?? o.username,
            password,
            roles,
          });
          if (o.json) printJson({ id, username: o.username, ...(o.passwordStdin ? {} : { password }) });
          else
            process.stdout.write(
              `created user ${o.username} (${id})${o.passwordStdin ? '' : `\npassword: ${password}  (shown once)`}\n`,
            );
        }),
    );
  user
    .command('disable <username>')
    .description('disable a user and end their sessions')
    .action(async (username: string) =>
      withCore(core, async (c) => {
        const row = await c.db
          .selectFrom('users')
          .select('id')
          .where('username', '=', username)
          .executeTakeFirst();
        if (!row) throw notFound(`user "${username}"`);
        await disableUser(c.db, c.bus, SYSTEM, row.id);
        process.stdout.write(`disabled ${username}\n`);
      }),
    );
  user
    .command('password <username>')
    .description('set a new password (from standard input, or generated and printed) and end their sessions')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, o: { passwordStdin?: boolean }) =>
      withCore(core, async (c) => {
        const password = o.passwordStdin ? (await readStdin()).trim() : generatePassword();
        await setPassword(c.db, SYSTEM, username, password);
        process.stdout.write(
          o.passwordStdin ? `password set for ${username}\n` : `new password for ${username}: ${password}\n`,
        );
      }),
    );

  const key = program.command('apikey').description("institutions' API keys");
  key
    .command('list')
    .description('list API keys (never their secrets)')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) =>
      withCore(core, async (c) => {
        const rows = await c.db
          .selectFrom('api_keys')
          .innerJoin('organisations', 'organisations.id', 'api_keys.organisation_id')
          .select([
            'api_keys.id',
            'api_keys.name',
            'api_keys.prefix',
            'organisations.name as organisation',
            'api_keys.scopes',
            'api_keys.revoked_at',
          ])
          .orderBy('api_keys.created_at', 'desc')
          .execute();
        printRows(
          rows.map((r) => ({ ...r, revoked_at: r.revoked_at ? new Date(r.revoked_at).toISOString() : null })),
          o.json,
        );
      }),
    );
  key
    .command('create')
    .description('create an API key for an institution; the key is printed once')
    .requiredOption('--org <name-or-id>', 'organisation')
    .requiredOption('--name <name>', 'what the key is for')
    .requiredOption('--scopes <scopes>', `comma-separated: ${API_KEY_SCOPES.join(', ')}`)
    .option('--json', 'print as JSON')
    .action(async (o: { org: string; name: string; scopes: string; json?: boolean }) =>
      withCore(core, async (c) => {
        const scopes = oneOf('scope', API_KEY_SCOPES, list(o.scopes));
        const created = await createApiKey(c.db, c.bus, SYSTEM, {
          organisationId: await orgId(c, o.org),
          name: o.name,
          scopes,
        });
        if (o.json) printJson(created);
        else
          process.stdout.write(
            `created API key ${created.id}\nkey: ${created.key}  (shown once; store it now)\n`,
          );
      }),
    );
  key
    .command('revoke <id>')
    .description('revoke an API key')
    .action(async (id: string) =>
      withCore(core, async (c) => {
        if (!UUID_RE.test(id))
          throw new UsageError(`not an API key id: ${id} (see \`interdict apikey list\`)`);
        await revokeApiKey(c.db, c.bus, SYSTEM, id);
        process.stdout.write(`revoked ${id}\n`);
      }),
    );
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('--password-stdin needs the password piped in');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
