import fs from 'node:fs';
import type { Services } from '../api/types.ts';
import { notFound } from '../core/errors.ts';
import type { OrganisationKind } from '../identity/model.ts';

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
  for await (const chunk of fs.createReadStream(file)) {
    const b = chunk as Buffer;
    for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  }
  return n;
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
