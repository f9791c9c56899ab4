import type { Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import type { ImportSpec, Prepared } from '../core/importer/run.ts';
import type { Principal } from '../identity/model.ts';
import type { PiiCipher } from '../privacy/crypto.ts';
import type { EventBus } from '../core/bus/index.ts';
import { isScamCategory } from '../registry/engine/taxonomy.ts';
import { submitReport, type ReportInput } from './service.ts';
import { AGE_GROUPS, PAYMENT_METHODS, REPORT_KINDS, type ReportKind } from './tables.ts';

/**
 * `interdict report import <file>` (docs/formats.md, "Clues"): an institution's clues in bulk, one
 * per row, `ref,kind` required; the subject columns the kind needs; the rest optional. `ref` is the
 * institution's own id: a row imported before (in this file or another) is recognised, never
 * stored twice, so a file can be sent again whole.
 */
export const CLUE_COLUMNS = ['ref', 'kind'] as const;
export const CLUE_OPTIONAL_COLUMNS = [
  'phone',
  'url',
  'app_name',
  'app_package',
  'account',
  'institution',
  'platform',
  'account_id',
  'content',
  'category',
  'occurred_at',
  'loss_amount',
  'loss_currency',
  'paid_at',
  'payment_method',
  'age_group',
] as const;

export type ClueRow = ReportInput & { ref: string };

const opt = (v: string | undefined) => {
  const t = (v ?? '').trim();
  return t === '' ? undefined : t;
};

export function prepareClue(r: Record<string, string>): Prepared<ClueRow> {
  const ref = opt(r.ref);
  if (!ref) return { ok: false, reason: 'ref: the institution’s own id of the clue is required' };
  if (ref.length > 200) return { ok: false, reason: 'ref: at most 200 characters' };
  const kind = opt(r.kind) as ReportKind | undefined;
  if (!kind || !(REPORT_KINDS as readonly string[]).includes(kind))
    return { ok: false, reason: `kind: one of ${REPORT_KINDS.join(', ')}` };
  const category = opt(r.category);
  if (category !== undefined && !isScamCategory(category))
    return { ok: false, reason: `category: unknown scam category "${category.slice(0, 60)}"` };
  const method = opt(r.payment_method);
  if (method !== undefined && !(PAYMENT_METHODS as readonly string[]).includes(method))
    return { ok: false, reason: `payment_method: one of ${PAYMENT_METHODS.join(', ')}` };
  const age = opt(r.age_group);
  if (age !== undefined && !(AGE_GROUPS as readonly string[]).includes(age))
    return { ok: false, reason: `age_group: one of ${AGE_GROUPS.join(', ')}` };
  const appName = opt(r.app_name);
  const appPackage = opt(r.app_package);
  const account = opt(r.account);
  const platform = opt(r.platform);
  const accountId = opt(r.account_id);
  if ((platform === undefined) !== (accountId === undefined))
    return { ok: false, reason: 'platform and account_id: give both or neither' };
  const subject: ReportInput['subject'] = {
    ...(opt(r.phone) ? { phone: opt(r.phone)! } : {}),
    ...(opt(r.url) ? { url: opt(r.url)! } : {}),
    ...(appName || appPackage
      ? { app: { ...(appName ? { name: appName } : {}), ...(appPackage ? { package: appPackage } : {}) } }
      : {}),
    ...(account
      ? { account: { value: account, ...(opt(r.institution) ? { institution: opt(r.institution)! } : {}) } }
      : {}),
    ...(platform && accountId ? { internetAccount: { platform, id: accountId } } : {}),
  };
  const amount = opt(r.loss_amount);
  return {
    ok: true,
    value: {
      ref,
      kind,
      subject,
      ...(opt(r.content) ? { content: opt(r.content)! } : {}),
      ...(category ? { category } : {}),
      ...(opt(r.occurred_at) ? { occurredAt: opt(r.occurred_at)! } : {}),
      ...(amount
        ? {
            loss: {
              amount,
              ...(opt(r.loss_currency) ? { currency: opt(r.loss_currency)! } : {}),
              ...(opt(r.paid_at) ? { paidAt: opt(r.paid_at)! } : {}),
              ...(method ? { method: method as (typeof PAYMENT_METHODS)[number] } : {}),
            },
          }
        : {}),
      ...(age ? { ageGroup: age as (typeof AGE_GROUPS)[number] } : {}),
    },
  };
}

/** Each row is one clue of `principal`'s institution, in the batch's transaction. */
export function clueImport(
  s: { pii: PiiCipher; bus: Pick<EventBus, 'publish'> },
  principal: Principal,
): ImportSpec<ClueRow> {
  return {
    kind: `clues:${principal.organisationId}`,
    required: CLUE_COLUMNS,
    prepare: prepareClue,
    async write(tx: Kysely<DB>, row: ClueRow) {
      const { ref, ...input } = row;
      await submitReport({ db: tx, bus: s.bus, pii: s.pii }, input, {
        channel: 'institution',
        principal,
        ref,
      });
    },
  };
}
