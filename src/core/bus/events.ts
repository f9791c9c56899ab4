import { z } from 'zod';
import { ORGANISATION_KINDS, ROLES } from '../../identity/model.ts';

/**
 * The domain events: one entry per event type, mapping the type to its payload (`data`).
 *
 * A capability adds its own events by declaration merging, and registers their schemas at load
 * (so publish can validate them and docs/events.md can list them):
 *
 *   declare module '../core/bus/events.ts' { interface EventMap { 'case.opened': CaseOpened } }
 *   registerEvent('case.opened', 'A case was opened.', CaseOpenedSchema, { keyField: 'caseId' });
 *
 * Payloads carry ids and the facts consumers need, never personal data in clear (names, ID
 * numbers, addresses...): events are copied to NATS, kept for days and replayed.
 */
// Entries are added below and by capabilities (declaration merging).
export interface EventMap {
  'organisation.created': z.infer<typeof OrganisationCreated>;
  'user.created': z.infer<typeof UserCreated>;
  'user.disabled': z.infer<typeof UserDisabled>;
  'api_key.created': z.infer<typeof ApiKeyCreated>;
  'api_key.revoked': z.infer<typeof ApiKeyRevoked>;
  'person.created': z.infer<typeof PersonCreated>;
}

export type EventType = keyof EventMap & string;

/**
 * What is stored, relayed and delivered. `key` orders and partitions: events with the same key
 * are about the same thing (a user, a listing, a subscriber). `seq` is the position in the
 * database outbox, set on delivery.
 */
export type EventEnvelope<T extends EventType = EventType> = {
  [K in T]: {
    id: string;
    type: K;
    key: string;
    /** ISO 8601, when the event was published (its transaction's time). */
    occurredAt: string;
    seq?: number;
    data: EventMap[K];
  };
}[T];

export interface EventDefinition {
  description: string;
  schema: z.ZodType;
  /** The payload field used as the key when the publisher gives none. */
  keyField?: string;
  /** Registered but not published yet: its capability is still to come. */
  planned?: boolean;
}

/** Every known event type; the source of docs/events.md. */
export const eventCatalogue: Record<string, EventDefinition> = {};

export function registerEvent<T extends EventType>(
  type: T,
  description: string,
  schema: z.ZodType<EventMap[T]>,
  opts: { keyField?: string; planned?: boolean } = {},
): void {
  if (!/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(type)) {
    throw new Error(`event type "${type}" must look like "noun.verb" (lower case, dot-separated)`);
  }
  eventCatalogue[type] = { description, schema, ...opts };
}

export class EventValidationError extends Error {
  constructor(
    message: string,
    readonly type: string,
  ) {
    super(message);
    this.name = 'EventValidationError';
  }
}

/** Checks a payload against the catalogue; returns the parsed payload (what gets stored). */
export function validateEvent(type: string, data: unknown): unknown {
  const def = Object.hasOwn(eventCatalogue, type) ? eventCatalogue[type] : undefined;
  if (!def) {
    throw new EventValidationError(
      `unknown event type "${type}": register it with registerEvent() (src/core/bus/events.ts)`,
      type,
    );
  }
  const r = def.schema.safeParse(data);
  if (!r.success) {
    // Paths and messages only: the values may be personal data.
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
    throw new EventValidationError(`invalid payload for event "${type}": ${issues}`, type);
  }
  return r.data;
}

export function defaultKey(type: string, data: unknown): string | undefined {
  const field = eventCatalogue[type]?.keyField;
  if (!field || typeof data !== 'object' || data === null) return undefined;
  const v = (data as Record<string, unknown>)[field];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

// --- Foundation events ---------------------------------------------------------------------

const uuid = () => z.uuid();

const OrganisationCreated = z.strictObject({
  organisationId: uuid().describe('the new organisation'),
  name: z.string().min(1).describe('its name'),
  kind: z.enum(ORGANISATION_KINDS),
});

const UserCreated = z.strictObject({
  userId: uuid(),
  organisationId: uuid(),
  username: z.string().min(1),
  roles: z.array(z.enum(ROLES)).min(1),
});

const UserDisabled = z.strictObject({
  userId: uuid(),
});

const ApiKeyCreated = z.strictObject({
  apiKeyId: uuid(),
  organisationId: uuid(),
  name: z.string().min(1).describe("the key's label"),
  scopes: z.array(z.string()).min(1).describe('what the key may do, e.g. listings:read'),
});

const ApiKeyRevoked = z.strictObject({
  apiKeyId: uuid(),
  organisationId: uuid(),
});

const PersonCreated = z.strictObject({
  personId: uuid().describe('the new person record (its personal data stays encrypted in the database)'),
  organisationId: uuid().describe('the organisation that recorded the person'),
});

// The capabilities register their own events (src/registry/events.ts, src/reports/events.ts, …).

registerEvent('organisation.created', 'An organisation was registered.', OrganisationCreated, {
  keyField: 'organisationId',
});
registerEvent('user.created', 'A user account was created in an organisation.', UserCreated, {
  keyField: 'userId',
});
registerEvent('user.disabled', 'A user account was disabled; its sessions are already ended.', UserDisabled, {
  keyField: 'userId',
});
registerEvent('api_key.created', "An institution's API key was created.", ApiKeyCreated, {
  keyField: 'organisationId',
});
registerEvent('api_key.revoked', 'An API key was revoked; it no longer authenticates.', ApiKeyRevoked, {
  keyField: 'organisationId',
});
registerEvent('person.created', 'A person record (victim, suspect, reporter) was created.', PersonCreated, {
  keyField: 'personId',
});
// --- Documentation ---------------------------------------------------------------------------

export interface EventFieldDoc {
  name: string;
  type: string;
  optional: boolean;
  description?: string;
}

/** The catalogue as rows, for docs/events.md. */
export function describeEvents(): {
  type: string;
  key: string;
  description: string;
  planned: boolean;
  fields: EventFieldDoc[];
}[] {
  return Object.keys(eventCatalogue)
    .sort()
    .map((type) => {
      const def = eventCatalogue[type]!;
      const js = z.toJSONSchema(def.schema, { unrepresentable: 'any' }) as JsonSchema;
      const required = new Set(js.required ?? []);
      const fields = Object.entries(js.properties ?? {}).map(([name, p]) => ({
        name,
        type: jsonType(p),
        optional: !required.has(name),
        ...(p.description ? { description: p.description } : {}),
      }));
      return {
        type,
        key: def.keyField ?? '(event id)',
        description: def.description,
        planned: Boolean(def.planned),
        fields,
      };
    });
}

/** The catalogue table of docs/events.md. */
export function eventCatalogueMarkdown(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| Type | Key | Payload (`data`) | Description |', '| --- | --- | --- | --- |'];
  for (const e of describeEvents()) {
    const fields = e.fields
      .map(
        (f) =>
          `\`${f.name}\`${f.optional ? '?' : ''}: ${esc(f.type)}${f.description ? ` — ${esc(f.description)}` : ''}`,
      )
      .join('<br>');
    const desc = `${esc(e.description)}${e.planned ? ' _(planned)_' : ''}`;
    lines.push(`| \`${e.type}\` | \`${e.key}\` | ${fields} | ${desc} |`);
  }
  return lines.join('\n');
}

interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
}

function jsonType(s: JsonSchema): string {
  if (s.anyOf) return s.anyOf.map(jsonType).join(' | ');
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.type === 'array') {
    const item = s.items ? jsonType(s.items) : 'unknown';
    return item.includes(' | ') ? `(${item})[]` : `${item}[]`;
  }
  const t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'unknown');
  return s.format ? `${t} (${s.format})` : t;
}
