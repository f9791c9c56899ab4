import type { Command } from 'commander';
import { SYSTEM } from '../core/audit.ts';
import { notFound } from '../core/errors.ts';
import { INDICATOR_KINDS, isIndicatorKind } from '../core/normalize/index.ts';
import type { Services } from '../api/types.ts';
import { addProtected, listProtected, removeProtected, seedProtected } from '../registry/allowlist.ts';
import { isScamCategory, SCAM_CATEGORY_LIST } from '../registry/engine/taxonomy.ts';
import { LISTING_STATUSES, type ListingStatus } from '../registry/engine/types.ts';
import { listingImport } from '../registry/imports.ts';
import { listBrands } from '../registry/lookalike.ts';
import {
  canonicalIndicator,
  delist,
  expireDue,
  getListing,
  refreshConfidence,
  searchListings,
  type ListingView,
} from '../registry/service.ts';
import { SOURCE_KINDS, type SourceKind } from '../registry/tables.ts';
import { printJson, printRows, UsageError } from './output.ts';
import { importSummary, importWithProgress, type ImportFlags } from './import.ts';
import { type Core, orgId, withCore, UUID_RE } from './core.ts';

function row(v: ListingView) {
  return {
    id: v.id,
    kind: v.kind,
    value: v.value,
    category: v.category,
    confidence: v.confidence,
    status: v.status,
    expires: v.expiresAt ? v.expiresAt.toISOString().slice(0, 10) : 'never',
    version: v.version,
  };
}

/** `<id>` or `<kind>:<value>` (the value as written or canonical, e.g. `phone:+8613800138000`). */
async function resolveListing(c: Services, ref: string): Promise<string> {
  if (UUID_RE.test(ref)) return ref;
  const at = ref.indexOf(':');
  const kind = at > 0 ? ref.slice(0, at) : '';
  if (!isIndicatorKind(kind)) {
    throw new UsageError(`give a listing id or kind:value (kinds: ${INDICATOR_KINDS.join(', ')})`);
  }
  const raw = ref.slice(at + 1);
  const canon = canonicalIndicator(kind, raw);
  const values = canon.ok && canon.value !== raw ? [canon.value, raw] : [raw];
  const r = await c.db
    .selectFrom('listings')
    .select('id')
    .where('kind', '=', kind)
    .where('value', 'in', values)
    .executeTakeFirst();
  if (!r) throw notFound(`listing ${ref}`);
  return r.id;
}

interface ListingImportFlags extends ImportFlags {
  source: string;
  org?: string;
  sourceRef?: string;
}

/**
 * `listings`, `allowlist` and `import listings`. Call after importCommands (it adds `listings` to
 * the `import` command there, or creates the command).
 */
export function registryCommands(program: Command, core: Core): void {
  // --- import listings ---------------------------------------------------------------------------
  const imp =
    program.commands.find((c) => c.name() === 'import') ??
    program.command('import').description('bulk import from CSV (with header) or NDJSON files');
  imp
    .command('listings <file>')
    .description(
      'risk listings: kind,value,category[,confidence,expires_at,evidence,source_ref] (docs/formats.md); ' +
        'a value listed already is corroborated, protected values go to review',
    )
    .option('--format <format>', 'csv or ndjson (default: from the file name)')
    .option('--batch-size <n>', 'rows per transaction', (v) => Number(v), 1000)
    .option('--rejects <file>', 'where rejected rows go (default: <file>.rejects.ndjson)')
    .option('--source <kind>', `who the rows come from: ${SOURCE_KINDS.join(', ')}`, 'feed')
    .option('--org <name-or-id>', 'the organisation that supplied the file')
    .option(
      '--source-ref <ref>',
      'the source (feed) name for rows without source_ref: rows from one source corroborate once (default: import)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: ListingImportFlags) =>
      withCore(core, async (c) => {
        if (!(SOURCE_KINDS as readonly string[]).includes(o.source)) {
          throw new UsageError(`--source must be one of ${SOURCE_KINDS.join(', ')}`);
        }
        const spec = listingImport(c.bus, {
          sourceKind: o.source as SourceKind,
          organisationId: o.org ? await orgId(c, o.org) : null,
          ...(o.sourceRef ? { sourceRef: o.sourceRef } : {}),
        });
        const started = new Date();
        const result = await importWithProgress(c, file, o, spec);
        const reviews = await c.db
          .selectFrom('listing_reviews')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('status', '=', 'open')
          .where('updated_at', '>=', started)
          .executeTakeFirstOrThrow();
        const open = Number(reviews.n);
        if (o.json) printJson({ ...result, openReviews: open });
        else
          process.stdout.write(
            importSummary(
              result,
              open
                ? `; ${open} ${open === 1 ? 'submission waits' : 'submissions wait'} in the review queue`
                : '',
            ),
          );
      }),
    );

  // --- listings ----------------------------------------------------------------------------------
  const listings = program.command('listings').description('the risk-information registry');
  listings
    .command('list')
    .description('search listings, most recently changed first')
    .option('--kind <kind>', INDICATOR_KINDS.join(', '))
    .option('--q <value>', 'an indicator as written (exact match after normalising)')
    .option('--category <category>', 'a scam category')
    .option('--status <status>', LISTING_STATUSES.join(', '))
    .option('-n, --limit <n>', 'how many (1–500)', (v) => Number(v), 50)
    .option('--json', 'print as JSON')
    .action(
      async (o: {
        kind?: string;
        q?: string;
        category?: string;
        status?: string;
        limit: number;
        json?: boolean;
      }) =>
        withCore(core, async (c) => {
          if (o.kind && !isIndicatorKind(o.kind))
            throw new UsageError(`--kind: one of ${INDICATOR_KINDS.join(', ')}`);
          if (o.category && !isScamCategory(o.category))
            throw new UsageError(`--category: one of ${SCAM_CATEGORY_LIST.join(', ')}`);
          if (o.status && !(LISTING_STATUSES as readonly string[]).includes(o.status))
            throw new UsageError(`--status: one of ${LISTING_STATUSES.join(', ')}`);
          const r = await searchListings(c.db, {
            ...(o.kind && isIndicatorKind(o.kind) ? { kind: o.kind } : {}),
            ...(o.q ? { q: o.q } : {}),
            ...(o.category && isScamCategory(o.category) ? { category: o.category } : {}),
            ...(o.status ? { status: o.status as ListingStatus } : {}),
            limit: o.limit,
          });
          printRows(o.json ? (r.items as unknown as Record<string, unknown>[]) : r.items.map(row), o.json);
        }),
    );
  listings
    .command('show <ref>')
    .description('one listing with sources, history and sightings: <id> or <kind>:<value>')
    .option('--json', 'print as JSON')
    .action(async (ref: string, o: { json?: boolean }) =>
      withCore(core, async (c) => {
        const d = await getListing(c.db, await resolveListing(c, ref));
        if (o.json) return printJson(d);
        printRows([row(d)], false);
        process.stdout.write('\nsources\n');
        printRows(
          d.sources.map((s) => ({
            kind: s.kind,
            organisation: s.organisationId,
            ref: s.reporterRef,
            trust: s.trust,
            count: s.count,
            last: s.lastAt.toISOString(),
          })),
          false,
        );
        process.stdout.write('\nhistory\n');
        printRows(
          d.history.map((h) => ({
            version: h.version,
            at: h.at.toISOString(),
            action: h.action,
            actor: h.actorName,
            status: h.after.status,
            confidence: h.after.confidence,
            reason: h.reason,
          })),
          false,
        );
        if (d.sightings.length) {
          process.stdout.write('\nsightings\n');
          printRows(d.sightings as unknown as Record<string, unknown>[], false);
        }
      }),
    );
  listings
    .command('delist <ref>')
    .description('delist a listing (<id> or <kind>:<value>), with a reason')
    .requiredOption('--reason <reason>', 'why (kept in the history)')
    .option('--json', 'print as JSON')
    .action(async (ref: string, o: { reason: string; json?: boolean }) =>
      withCore(core, async (c) => {
        const v = await delist(c.db, c.bus, SYSTEM, await resolveListing(c, ref), o.reason);
        if (o.json) printJson(v);
        else process.stdout.write(`delisted ${v.kind} ${v.value} (version ${v.version})\n`);
      }),
    );
  listings
    .command('expire')
    .description('mark listings whose expiry has passed as expired (run it daily, e.g. from cron)')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) =>
      withCore(core, async (c) => {
        const n = await expireDue(c.db, c.bus);
        if (o.json) printJson({ expired: n });
        else process.stdout.write(`${n} listings expired\n`);
      }),
    );

  listings
    .command('decay')
    .description('recompute confidences so that decay shows (run it daily, e.g. from cron)')
    .option(
      '--min-delta <x>',
      'record a change only when the confidence moved this much',
      (v) => Number(v),
      0.01,
    )
    .option('--json', 'print as JSON')
    .action(async (o: { minDelta: number; json?: boolean }) =>
      withCore(core, async (c) => {
        if (!(o.minDelta > 0 && o.minDelta <= 1)) throw new UsageError('--min-delta is a number in (0, 1]');
        const r = await refreshConfidence(c.db, c.bus, Date.now(), { minDelta: o.minDelta });
        if (o.json) printJson(r);
        else process.stdout.write(`${r.checked} listings checked, ${r.changed} confidences changed\n`);
      }),
    );

  // --- allowlist ---------------------------------------------------------------------------------
  const allow = program
    .command('allowlist')
    .description('protected numbers, domains and accounts no listing can block');
  allow
    .command('list')
    .description('list protected indicators')
    .option('--kind <kind>', INDICATOR_KINDS.join(', '))
    .option('--q <text>', 'part of the value or label')
    .option('--json', 'print as JSON')
    .action(async (o: { kind?: string; q?: string; json?: boolean }) =>
      withCore(core, async (c) => {
        if (o.kind && !isIndicatorKind(o.kind))
          throw new UsageError(`--kind: one of ${INDICATOR_KINDS.join(', ')}`);
        const items = await listProtected(c.db, {
          ...(o.kind && isIndicatorKind(o.kind) ? { kind: o.kind } : {}),
          ...(o.q ? { q: o.q } : {}),
        });
        printRows(
          items.map((p) => ({
            id: p.id,
            kind: p.kind,
            value: p.value,
            label: p.label,
            ...(o.json ? { reason: p.reason, addedBy: p.addedBy, createdAt: p.createdAt.toISOString() } : {}),
          })),
          o.json,
        );
      }),
    );
  allow
    .command('add')
    .description('protect an indicator (listings it covers are delisted)')
    .requiredOption('--kind <kind>', INDICATOR_KINDS.join(', '))
    .requiredOption('--value <value>', 'as written; a domain may be a suffix such as gov.cn')
    .requiredOption('--label <label>', 'what it is, e.g. "95588 ICBC hotline"')
    .option('--reason <reason>', 'why it is protected')
    .option('--json', 'print as JSON')
    .action(async (o: { kind: string; value: string; label: string; reason?: string; json?: boolean }) =>
      withCore(core, async (c) => {
        const r = await addProtected(c.db, c.bus, SYSTEM, {
          kind: o.kind,
          value: o.value,
          label: o.label,
          reason: o.reason ?? null,
        });
        if (o.json) printJson(r);
        else
          process.stdout.write(
            `protected ${r.kind} ${r.value} (${r.id})${r.delisted ? `; ${r.delisted} listings delisted` : ''}\n`,
          );
      }),
    );
  allow
    .command('remove <id>')
    .description('remove an allowlist entry')
    .option('--reason <reason>', 'why')
    .action(async (id: string, o: { reason?: string }) =>
      withCore(core, async (c) => {
        if (!UUID_RE.test(id))
          throw new UsageError(`not an allowlist id: ${id} (see \`interdict allowlist list\`)`);
        const r = await removeProtected(c.db, SYSTEM, id, o.reason ?? null);
        process.stdout.write(`removed ${r.kind} ${r.value} from the allowlist\n`);
      }),
    );
  allow
    .command('seed')
    .description('add the built-in protected numbers, domains and brands that are missing')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) =>
      withCore(core, async (c) => {
        const r = await seedProtected(c.db, SYSTEM);
        if (o.json) printJson(r);
        else process.stdout.write(`added ${r.indicators} protected indicators and ${r.brands} brands\n`);
      }),
    );
  allow
    .command('brands')
    .description('list protected brands and their official domains')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) =>
      withCore(core, async (c) => {
        printRows(
          (await listBrands(c.db)).map((b) => ({ brand: b.brand, domains: [...b.domains] })),
          o.json,
        );
      }),
    );
}
