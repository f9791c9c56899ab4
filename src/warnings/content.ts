import crypto from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { audit } from '../core/audit.ts';
import { badRequest, conflict, notFound } from '../core/errors.ts';
import type { Principal } from '../identity/model.ts';
import { isScamCategory } from '../registry/engine/taxonomy.ts';
import { containsLink } from './plan.ts';
import {
  GENERAL,
  type Audience,
  type ContentChannel,
  type Language,
  type WarningContentTable,
} from './tables.ts';

/**
 * The content library (docs/warnings.md, "Content library"): what the SMS, the app push and the
 * caller say for each scam type and audience, in Chinese and English. Edits are versioned
 * (optimistic: a stale version is 409) and audited; an SMS or push with a link is refused.
 */

export interface ContentItem extends NewContent {
  id: string;
  version: number;
  updatedAt: string;
  updatedBy: string | null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const itemOf = (r: Selectable<WarningContentTable>): ContentItem => ({
  id: r.id,
  scamType: r.scam_type,
  audience: r.audience,
  channel: r.channel,
  language: r.language,
  title: r.title,
  body: r.body,
  version: r.version,
  updatedAt: new Date(r.updated_at).toISOString(),
  updatedBy: r.updated_by,
});

/** SMS and push texts go to people's phones: plain text, no link, short enough for one message. */
export function checkText(channel: ContentChannel, title: string, body: string): void {
  if (!title.trim() || title.length > 200) throw badRequest('invalid_title', 'a title is 1–200 characters');
  if (!body.trim() || body.length > 8000) throw badRequest('invalid_body', 'a body is 1–8000 characters');
  if (channel === 'sms' || channel === 'app_push') {
    if (containsLink(body) || containsLink(title))
      throw badRequest('link_in_text', 'an SMS or push text must not carry a link or a domain name');
    if (body.length > 500) throw badRequest('text_too_long', 'an SMS or push text is at most 500 characters');
  }
}

/**
 * The text for a warning: the scam type for the person's audience, else for everyone, else the
 * general text (for the audience, then everyone); in the person's language, else Chinese.
 */
export async function pickContent(
  q: Kysely<DB>,
  scamType: string | null,
  audience: Audience,
  channel: ContentChannel,
  language: Language,
): Promise<ContentItem | null> {
  const rows = await q
    .selectFrom('warning_content')
    .selectAll()
    .where('channel', '=', channel)
    .where('scam_type', 'in', scamType ? [scamType, GENERAL] : [GENERAL])
    .where('language', 'in', [language, 'zh'])
    .execute();
  const order: [string, Audience][] = [
    ...(scamType
      ? ([
          [scamType, audience],
          [scamType, 'everyone'],
        ] as [string, Audience][])
      : []),
    [GENERAL, audience],
    [GENERAL, 'everyone'],
  ];
  for (const lang of [language, 'zh'] as const)
    for (const [st, aud] of order) {
      const r = rows.find((x) => x.scam_type === st && x.audience === aud && x.language === lang);
      if (r) return itemOf(r);
    }
  return null;
}

export async function listContent(
  q: Kysely<DB>,
  f: {
    scamType?: string | undefined;
    audience?: Audience | undefined;
    channel?: ContentChannel | undefined;
    language?: Language | undefined;
  },
): Promise<{ items: ContentItem[] }> {
  let query = q.selectFrom('warning_content').selectAll();
  if (f.scamType) query = query.where('scam_type', '=', f.scamType);
  if (f.audience) query = query.where('audience', '=', f.audience);
  if (f.channel) query = query.where('channel', '=', f.channel);
  if (f.language) query = query.where('language', '=', f.language);
  const rows = await query
    .orderBy('scam_type')
    .orderBy('audience')
    .orderBy('channel')
    .orderBy('language')
    .execute();
  return { items: rows.map(itemOf) };
}

export interface NewContent {
  scamType: string;
  audience: Audience;
  channel: ContentChannel;
  language: Language;
  title: string;
  body: string;
}

export async function createContent(
  q: Kysely<DB>,
  p: Principal,
  input: NewContent,
  opts: { requestId?: string; now?: number } = {},
): Promise<ContentItem> {
  if (input.scamType !== GENERAL && !isScamCategory(input.scamType))
    throw badRequest('invalid_scam_type', `unknown scam type ${input.scamType}`);
  checkText(input.channel, input.title, input.body);
  return q.transaction().execute(async (tx) => {
    const exists = await tx
      .selectFrom('warning_content')
      .select('id')
      .where('scam_type', '=', input.scamType)
      .where('audience', '=', input.audience)
      .where('channel', '=', input.channel)
      .where('language', '=', input.language)
      .executeTakeFirst();
    if (exists)
      throw conflict('content_exists', 'this scam type, audience, channel and language has a text: edit it');
    const row = await tx
      .insertInto('warning_content')
      .values({
        id: crypto.randomUUID(),
        scam_type: input.scamType,
        audience: input.audience,
        channel: input.channel,
        language: input.language,
        title: input.title.trim(),
        body: input.body.trim(),
        version: 1,
        updated_at: new Date(opts.now ?? Date.now()),
        updated_by: p.name,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(
      tx,
      p,
      {
        action: 'warning_content.create',
        targetKind: 'warning_content',
        targetId: row.id,
        details: { scamType: row.scam_type, channel: row.channel },
      },
      opts.requestId,
    );
    return itemOf(row);
  });
}

export async function updateContent(
  q: Kysely<DB>,
  p: Principal,
  id: string,
  input: { title: string; body: string; version: number },
  opts: { requestId?: string; now?: number } = {},
): Promise<ContentItem> {
  if (!UUID_RE.test(id)) throw notFound('content item');
  return q.transaction().execute(async (tx) => {
    const r = await tx
      .selectFrom('warning_content')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!r) throw notFound('content item');
    if (r.version !== input.version)
      throw conflict(
        'stale_version',
        `the text changed meanwhile (now version ${r.version}): reload and edit again`,
      );
    checkText(r.channel, input.title, input.body);
    const row = await tx
      .updateTable('warning_content')
      .set({
        title: input.title.trim(),
        body: input.body.trim(),
        version: r.version + 1,
        updated_at: new Date(opts.now ?? Date.now()),
        updated_by: p.name,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(
      tx,
      p,
      {
        action: 'warning_content.update',
        targetKind: 'warning_content',
        targetId: id,
        details: { version: row.version },
      },
      opts.requestId,
    );
    return itemOf(row);
  });
}
