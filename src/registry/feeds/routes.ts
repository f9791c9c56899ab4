import { Readable } from 'node:stream';
import { z } from 'zod';
import type { Api, Services } from '../../api/types.ts';
import { Problem } from '../../api/problem.ts';
import { currentVersion } from '../snapshot.ts';
import { buildPrefixSet, csvFeed, ndjsonFeed, rpzZone, stixBundle, type PrefixSet } from './feeds.ts';
import { PREFIX_BYTES } from './lookup-hash.ts';

const feedReaders = {
  roles: ['analyst', 'supervisor', 'auditor'],
  orgKinds: ['anti_fraud_centre'],
  scope: 'listings:read',
} as const;
const errors = { 400: Problem, 401: Problem, 403: Problem };
const text = (contentType: string, description: string) => ({
  description,
  content: { [contentType]: { schema: z.string() } },
});
const Since = z.object({
  since: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('only the changes after this version (incremental)'),
});

/** Rebuilds the prefix list at most every few seconds, and only when the registry moved on. */
function prefixCache(s: Services, minAgeMs = 5_000) {
  let current: PrefixSet | null = null;
  let checkedAt = 0;
  let building: Promise<PrefixSet> | null = null;
  return async (): Promise<PrefixSet> => {
    if (current && Date.now() - checkedAt < minAgeMs) return current;
    building ??= (async () => {
      try {
        const v = await currentVersion(s.db);
        if (!current || current.version !== v) current = await buildPrefixSet(s.db);
        checkedAt = Date.now();
        return current;
      } finally {
        building = null;
      }
    })();
    return building;
  };
}

export function feedRoutes(app: Api, s: Services): void {
  // Streams skip response serialisation; the cast only satisfies the typed reply.
  const stream = (gen: AsyncGenerator<string>) => Readable.from(gen) as unknown as string;

  app.get(
    '/v1/feeds/listings.csv',
    {
      config: { access: feedReaders },
      schema: {
        tags: ['feeds'],
        summary: 'Active listings as CSV; with ?since=, every change after that version (op add/remove)',
        querystring: Since,
        response: {
          200: text(
            'text/csv',
            'CSV with header op,kind,value,category,confidence,status,expires_at,version',
          ),
          ...errors,
        },
      },
    },
    async (req, reply) => reply.type('text/csv; charset=utf-8').send(stream(csvFeed(s.db, req.query.since))),
  );

  app.get(
    '/v1/feeds/listings.ndjson',
    {
      config: { access: feedReaders },
      schema: {
        tags: ['feeds'],
        summary: 'Active listings as NDJSON; with ?since=, every change after that version',
        querystring: Since,
        response: { 200: text('application/x-ndjson', 'one listing a line'), ...errors },
      },
    },
    async (req, reply) => reply.type('application/x-ndjson').send(stream(ndjsonFeed(s.db, req.query.since))),
  );

  app.get(
    '/v1/feeds/rpz.zone',
    {
      config: { access: feedReaders },
      schema: {
        tags: ['feeds'],
        summary: 'DNS Response Policy Zone of listed domains and IPs (Unbound rpz:, BIND response-policy)',
        querystring: z.object({
          origin: z
            .string()
            .regex(/^[a-z0-9.-]{1,200}$/)
            .optional(),
        }),
        response: { 200: text('text/dns', 'an RFC 1035 zone file'), ...errors },
      },
    },
    async (req, reply) =>
      reply
        .type('text/dns; charset=utf-8')
        .send(stream(rpzZone(s.db, { ...(req.query.origin ? { origin: req.query.origin } : {}) }))),
  );

  app.get(
    '/v1/feeds/stix.json',
    {
      config: { access: feedReaders },
      schema: {
        tags: ['feeds'],
        summary: 'STIX 2.1 bundle of active listings as Indicator objects',
        response: { 200: text('application/stix+json;version=2.1', 'a STIX 2.1 bundle'), ...errors },
      },
    },
    async (_req, reply) => reply.type('application/stix+json;version=2.1').send(stream(stixBundle(s.db))),
  );

  const prefixes = prefixCache(s);
  app.get(
    '/v1/lookup/prefixes',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['lookup'],
        summary:
          "Hash prefixes of listed values for citizens' apps (Safe Browsing style: the server never learns what was checked)",
        response: {
          200: z.object({
            version: z.number(),
            prefixLength: z.number(),
            count: z.number(),
            prefixes: z.string().describe('base64 of the sorted, concatenated 4-byte SHA-256 prefixes'),
          }),
          429: Problem,
        },
      },
    },
    async (_req, reply) => {
      const p = await prefixes();
      reply.header('cache-control', 'public, max-age=300');
      return {
        version: p.version,
        prefixLength: PREFIX_BYTES,
        count: p.prefixes.length / PREFIX_BYTES,
        prefixes: p.prefixes.toString('base64'),
      };
    },
  );

  app.post(
    '/v1/lookup/full-hashes',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['lookup'],
        summary: 'Full hashes for prefixes that hit (second step of a private lookup)',
        body: z.strictObject({
          prefixes: z
            .array(z.string().regex(/^[0-9a-f]{8}$/, '4-byte prefixes as 8 lower-case hex digits'))
            .min(1)
            .max(20),
        }),
        response: {
          200: z.object({
            matches: z.array(z.object({ hash: z.string(), kind: z.string(), category: z.string() })),
            cacheSeconds: z.number(),
          }),
          400: Problem,
          429: Problem,
        },
      },
    },
    async (req) => {
      const p = await prefixes();
      const matches = req.body.prefixes.flatMap((prefix) =>
        (p.full.get(prefix) ?? []).map((m) => ({ hash: m.prefix, kind: m.kind, category: m.category })),
      );
      return { matches, cacheSeconds: 300 };
    },
  );
}
