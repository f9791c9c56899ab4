import fs from 'node:fs';
import type { Services } from '../api/types.ts';
import { notFound } from '../core/errors.ts';
import { formatOf } from '../detection/parse.ts';
import type { OrganisationKind, Principal } from '../identity/model.ts';
import { UsageError } from './output.ts';

/** Opens the database, bus and keys for one command (main.ts passes it to each command group). */
export type Core = () => Promise<Services & { close(): Promise<void> }>;

/** Runs `fn` with the services open, and closes them however it ends. */
export async function withCore<T>(core: Core, fn: (c: Services) => Promise<T>): Promise<T> {
  const c = await core();
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Counts lines for a progress bar's ETA (one fast pass; the import reads the file again). */
export async function countLines(file: string): Promise<number> {
  let n = 0;
  let last = 10;
  for await (const chunk of fs.createReadStream(file)) {
    const b = chunk as Buffer;
    for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
    if (b.length > 0) last = b[b.length - 1]!;
  }
  // A last line without its newline is a line too.
  return last === 10 ? n : n + 1;
}

/** Rows of a detection input for a progress bar: its lines, less the header of a CSV file. */
export async function countRows(file: string, format?: string): Promise<number> {
  let csv: boolean;
  try {
    csv = formatOf(file, format) === 'csv';
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const n = await countLines(file);
  return csv ? Math.max(0, n - 1) : n;
}

/** An organisation by name or id (404 with the name when there is none). */
export async function findOrganisation(
  c: Services,
  nameOrId: string,
): Promise<{ id: string; name: string; kind: OrganisationKind }> {
  const r = await c.db
    .selectFrom('organisations')
    .select(['id', 'name', 'kind'])
    .where((eb) => (UUID_RE.test(nameOrId) ? eb('id', '=', nameOrId) : eb('name', '=', nameOrId)))
    .executeTakeFirst();
  if (!r) throw notFound(`organisation "${nameOrId}"`);
  return r as { id: string; name: string; kind: OrganisationKind };
}

export async function orgId(c: Services, nameOrId: string): Promise<string> {
  return (await findOrganisation(c, nameOrId)).id;
}

/** The CLI's principal: the centre's supervisor and administrator, named "cli". */
export async function cliPrincipal(c: Services): Promise<Principal> {
  const centre = await c.db
    .selectFrom('organisations')
    .select('id')
    .where('kind', '=', 'anti_fraud_centre')
    .orderBy('created_at')
    .executeTakeFirst();
  if (!centre)
    throw new UsageError(
      'no anti-fraud centre organisation yet: create one first (interdict org create --kind anti_fraud_centre …)',
    );
  return {
    kind: 'user',
    id: 'cli',
    name: 'cli',
    organisationId: centre.id,
    organisationKind: 'anti_fraud_centre',
    roles: ['supervisor', 'administrator'],
    scopes: [],
  };
}
