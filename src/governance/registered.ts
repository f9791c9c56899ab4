import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { audit, type Actor } from '../core/audit.ts';
import { AppError, badRequest, conflict, notFound } from '../core/errors.ts';
import type { Principal } from '../identity/model.ts';
import { piiContext } from '../privacy/crypto.ts';
import { parseIdentityDocument } from '../privacy/idnumber.ts';
import { maskAccount, maskIdNumber, maskName, maskPhone } from '../privacy/mask.ts';
import { normaliseMsisdn, sameName } from '../privacy/normalise.ts';
import { registerEncryptedTable } from '../privacy/rotate.ts';
import { idNumberHash } from '../privacy/service.ts';
import { DEFAULT_CARD_LIMIT_PARAMS, type CardLimitParams } from '../detection/detectors/card-limit.ts';
import { createInstruction, type GovernanceServices } from './store.ts';
import type { HoldingKind } from './registered-tables.ts';
import './registered-tables.ts';
import { queueSms } from './sms.ts';

/**
 * "Registered in my name" (docs/governance.md). A citizen proves who they are by a one-time code
 * sent by SMS to a card held in their name (id number, name and that number must all match the
 * records; the answer is the same when they do not, so nobody learns whose number is whose). A
 * verified citizen gets a short session, sees the cards and accounts registered to them across
 * operators and banks with the per-person limits, and can say "not mine": that opens a dispute and
 * sends the institution a re-verification instruction.
 */

registerEncryptedTable({
  table: 'outbound_messages',
  idColumn: 'id',
  keyIdColumn: 'key_id',
  columns: ['recipient_enc', 'body_enc'],
});

export const CHALLENGE_TTL_MS = 10 * 60_000;
export const CHALLENGE_MAX_ATTEMPTS = 5;
/** Codes one person can be sent an hour: an SMS flood is a harm too. */
export const CHALLENGES_PER_PERSON_PER_HOUR = 5;
export const CITIZEN_SESSION_MS = 15 * 60_000;
export const CITIZEN_COOKIE = 'interdict_citizen';

const SAME_ANSWER = {
  zh: '如果您填写的信息与登记信息一致，验证码已发送到该号码，10 分钟内有效。',
  en: 'If the details match the records, a code was sent to that number; it is valid for 10 minutes.',
} as const;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const codeHash = (s: GovernanceServices, challengeId: string, code: string) =>
  s.pii.lookupHash('citizen_code', `${challengeId}:${code}`);

export interface ChallengeStarted {
  challengeId: string;
  expiresAt: string;
  message: { zh: string; en: string };
  /** Demo only (no SMS gateway): the code, so a newcomer can try the page. */
  demoCode?: string;
}

/**
 * Starts an identity check. When the id number, the name and the phone number match a person and
 * one of their active cards, a code goes to the SMS outbox; otherwise a check that can never pass
 * is made. Both answer alike, and take the same path through the database.
 */
export async function startChallenge(
  s: GovernanceServices,
  input: { idNumber: string; name: string; phone: string },
  opts: { now?: number; demo?: boolean } = {},
): Promise<ChallengeStarted> {
  const now = opts.now ?? Date.now();
  let doc;
  try {
    doc = parseIdentityDocument(input.idNumber);
  } catch (err) {
    throw err instanceof AppError ? err : badRequest('invalid_id_number', 'the identity number is not valid');
  }
  const phone = normaliseMsisdn(input.phone);
  if (!phone) throw badRequest('invalid_phone', 'the phone number is not valid');
  const name = input.name.trim();
  if (!name || name.length > 100) throw badRequest('invalid_name', 'the name is 1 to 100 characters');
  const hash = idNumberHash(s.pii, doc.type, doc.value);
  const id = crypto.randomUUID();
  const code = String(crypto.randomInt(0, 1_000_000)).padStart(6, '0');
  const expiresAt = new Date(now + CHALLENGE_TTL_MS);
  let sent = false;
  await s.db.transaction().execute(async (tx) => {
    const person = await tx
      .selectFrom('persons')
      .select(['id', 'key_id', 'name_enc'])
      .where('id_number_hash', '=', hash)
      .executeTakeFirst();
    let personId: string | null = null;
    if (
      person &&
      sameName(
        s.pii.decrypt(person.key_id, person.name_enc, piiContext('persons', 'name_enc', person.id)),
        name,
      )
    ) {
      const card = await tx
        .selectFrom('phone_cards')
        .select('id')
        .where('holder_person_id', '=', person.id)
        .where('msisdn', '=', phone)
        .where('status', 'in', ['active', 'restricted'])
        .executeTakeFirst();
      const recent = await tx
        .selectFrom('citizen_challenges')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('person_id', '=', person.id)
        .where('created_at', '>', new Date(now - 3_600_000))
        .executeTakeFirstOrThrow();
      if (Number(recent.n) >= CHALLENGES_PER_PERSON_PER_HOUR)
        throw new AppError(
          429,
          'too_many_codes',
          'too many codes asked for this person: try again in an hour',
        );
      if (card) personId = person.id;
    }
    await tx
      .insertInto('citizen_challenges')
      .values({
        id,
        person_id: personId,
        code_hash: codeHash(s, id, code),
        expires_at: expiresAt,
        created_at: new Date(now),
      })
      .execute();
    if (personId) {
      await queueSms(
        tx,
        s.pii,
        phone,
        `【反诈】您的验证码 ${code}，10 分钟内有效，用于查询本人名下电话卡和账户。请勿告诉任何人。`,
        'identity_code',
      );
      sent = true;
    }
  });
  return {
    challengeId: id,
    expiresAt: expiresAt.toISOString(),
    message: SAME_ANSWER,
    ...(opts.demo && sent ? { demoCode: code } : {}),
  };
}

/** A signed citizen session: `<personId>.<expiry ms>.<mac>`, valid CITIZEN_SESSION_MS. Stateless, keyed by the lookup key. */
function sign(s: GovernanceServices, personId: string, exp: number): string {
  return `${personId}.${exp}.${s.pii.lookupHash('citizen_session', `${personId}.${exp}`)}`;
}

/** The person a citizen session token stands for, or null when missing, forged or expired. */
export function citizenOf(
  s: GovernanceServices,
  token: string | undefined,
  now: number = Date.now(),
): string | null {
  if (!token) return null;
  const [personId, expText, mac, ...rest] = token.split('.');
  if (rest.length || !personId || !expText || !mac || !UUID_RE.test(personId)) return null;
  const exp = Number(expText);
  if (!Number.isInteger(exp) || exp < now) return null;
  const want = Buffer.from(sign(s, personId, exp));
  const got = Buffer.from(token);
  return want.length === got.length && crypto.timingSafeEqual(want, got) ? personId : null;
}

/** Checks a code: five tries, ten minutes, once. Every failure is the same `invalid_code`. */
export async function confirmChallenge(
  s: GovernanceServices,
  challengeId: string,
  code: string,
  now: number = Date.now(),
): Promise<{ token: string; expiresAt: Date }> {
  const invalid = () => badRequest('invalid_code', 'the code is wrong or expired: ask for a new one');
  if (!UUID_RE.test(challengeId) || !/^\d{6}$/.test(code.trim())) throw invalid();
  const personId = await s.db.transaction().execute(async (tx) => {
    const c = await tx
      .selectFrom('citizen_challenges')
      .selectAll()
      .where('id', '=', challengeId)
      .forUpdate()
      .executeTakeFirst();
    if (!c || c.used_at || new Date(c.expires_at).getTime() < now || c.attempts >= CHALLENGE_MAX_ATTEMPTS)
      return null;
    const ok = c.person_id !== null && c.code_hash === codeHash(s, challengeId, code.trim());
    await tx
      .updateTable('citizen_challenges')
      .set(ok ? { used_at: new Date(now) } : { attempts: c.attempts + 1 })
      .where('id', '=', challengeId)
      .execute();
    return ok ? c.person_id : null;
  });
  if (!personId) throw invalid();
  const exp = now + CITIZEN_SESSION_MS;
  return { token: sign(s, personId, exp), expiresAt: new Date(exp) };
}

export interface HoldingsView {
  person: { name: string; idNumber: string };
  phoneCards: {
    id: string;
    msisdn: string;
    operator: string;
    cardType: string;
    status: string;
    activatedAt: string | null;
    cancelledAt: string | null;
    /** The sales outlet that opened it, when its operator said. */
    outlet: string | null;
    disputed: boolean;
  }[];
  bankAccounts: {
    id: string;
    account: string;
    institution: string;
    accountType: string;
    status: string;
    openedAt: string | null;
    /** When the bank closed it (status `closed`), when the bank said. */
    closedAt: string | null;
    disputed: boolean;
  }[];
  limits: {
    phoneCards: {
      national: number;
      perOperator: number;
      held: number;
      /** `limit`: this operator's own limit, where the parameters set one, else `perOperator`. */
      byOperator: { operator: string; held: number; limit: number }[];
    };
  };
}

const CITIZEN_ACTOR = (personId: string) => ({
  actor_kind: 'citizen',
  actor_id: personId,
  actor_name: 'the person themself',
  organisation_id: null,
});

/** What is registered in the person's name, masked as on every screen; the read is recorded. */
export async function holdingsOf(
  s: GovernanceServices,
  personId: string,
  requestId?: string,
  /** The limits card_limit runs with (the deployment's parameters file, detection/params.ts). */
  cardLimits: Pick<
    CardLimitParams,
    'nationalLimit' | 'perOperatorLimit' | 'operatorLimits'
  > = DEFAULT_CARD_LIMIT_PARAMS,
): Promise<HoldingsView> {
  const p = await s.db
    .selectFrom('persons')
    .select(['id', 'key_id', 'name_enc', 'id_number_enc'])
    .where('id', '=', personId)
    .executeTakeFirst();
  if (!p) throw notFound('person');
  const dec = (col: 'name_enc' | 'id_number_enc') =>
    s.pii.decrypt(p.key_id, p[col], piiContext('persons', col, p.id));
  const cards = await s.db
    .selectFrom('phone_cards as c')
    .innerJoin('organisations as o', 'o.id', 'c.operator_org_id')
    .select([
      'c.id',
      'c.msisdn',
      'o.name as operator',
      'c.card_type',
      'c.status',
      'c.activated_at',
      'c.cancelled_at',
      'c.outlet',
    ])
    .where('c.holder_person_id', '=', personId)
    .orderBy('c.activated_at')
    .execute();
  const accounts = await s.db
    .selectFrom('bank_accounts as a')
    .innerJoin('organisations as o', 'o.id', 'a.institution_org_id')
    .select([
      'a.id',
      'a.account',
      'o.name as institution',
      'a.account_type',
      'a.status',
      'a.opened_at',
      'a.closed_at',
    ])
    .where('a.holder_person_id', '=', personId)
    .orderBy('a.opened_at')
    .execute();
  const disputes = await s.db
    .selectFrom('holding_disputes')
    .select(['holding_id'])
    .where('person_id', '=', personId)
    .where('status', '=', 'open')
    .execute();
  const disputed = new Set(disputes.map((d) => d.holding_id));
  await s.db
    .insertInto('personal_data_access')
    .values({
      ...CITIZEN_ACTOR(personId),
      person_id: personId,
      fields: ['name', 'idNumber', 'phoneCards', 'bankAccounts'],
      purpose: 'self_service',
      purpose_ref: null,
      clear: false,
      request_id: requestId ?? null,
    })
    .execute();
  // Cards given back are listed (the holder sees every card once in their name) but not held.
  const consumer = cards.filter((c) => c.card_type === 'consumer' && c.status !== 'cancelled');
  const byOperator = new Map<string, number>();
  for (const c of consumer) byOperator.set(c.operator, (byOperator.get(c.operator) ?? 0) + 1);
  const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
  return {
    person: { name: maskName(dec('name_enc')), idNumber: maskIdNumber(dec('id_number_enc')) },
    phoneCards: cards.map((c) => ({
      id: c.id,
      msisdn: maskPhone(c.msisdn),
      operator: c.operator,
      cardType: c.card_type,
      status: c.status,
      activatedAt: iso(c.activated_at),
      cancelledAt: iso(c.cancelled_at),
      outlet: c.outlet,
      disputed: disputed.has(c.id),
    })),
    bankAccounts: accounts.map((a) => ({
      id: a.id,
      account: maskAccount(a.account),
      institution: a.institution,
      accountType: a.account_type,
      status: a.status,
      openedAt: iso(a.opened_at),
      closedAt: iso(a.closed_at),
      disputed: disputed.has(a.id),
    })),
    limits: {
      phoneCards: {
        national: cardLimits.nationalLimit,
        perOperator: cardLimits.perOperatorLimit,
        held: consumer.length,
        byOperator: [...byOperator.entries()].map(([operator, held]) => ({
          operator,
          held,
          limit: cardLimits.operatorLimits[operator] ?? cardLimits.perOperatorLimit,
        })),
      },
    },
  };
}

/** The centre's self-service desk, as the issuer of the re-verification a dispute sends. */
async function selfServiceIssuer(q: Kysely<DB>): Promise<Principal> {
  const centre = await q
    .selectFrom('organisations')
    .select('id')
    .where('kind', '=', 'anti_fraud_centre')
    .orderBy('created_at')
    .executeTakeFirst();
  if (!centre) throw new AppError(503, 'no_centre', 'no anti-fraud centre is set up to receive the dispute');
  return {
    kind: 'user',
    id: 'citizen-self-service',
    name: 'citizen self-service',
    organisationId: centre.id,
    organisationKind: 'anti_fraud_centre',
    roles: ['analyst'],
    scopes: [],
  };
}

/**
 * "Not mine": the holder on record says a card or account is not theirs. Opens a dispute and sends
 * the institution a re-verification of the holder (it must check who opened it and with what). A
 * second "not mine" on the same card answers the open dispute.
 */
export async function disputeHolding(
  s: GovernanceServices,
  personId: string,
  kind: HoldingKind,
  holdingId: string,
  opts: { requestId?: string } = {},
): Promise<{ disputeId: string; instructionId: string; created: boolean }> {
  if (!UUID_RE.test(holdingId)) throw notFound(kind === 'phone_card' ? 'phone card' : 'bank account');
  const holding =
    kind === 'phone_card'
      ? await s.db
          .selectFrom('phone_cards')
          .select(['id', 'msisdn as value', 'operator_org_id as org', 'status', 'outlet'])
          .where('id', '=', holdingId)
          .where('holder_person_id', '=', personId)
          .executeTakeFirst()
      : await s.db
          .selectFrom('bank_accounts')
          .select([
            'id',
            'account as value',
            'institution_org_id as org',
            'status',
            sql<null>`null`.as('outlet'),
          ])
          .where('id', '=', holdingId)
          .where('holder_person_id', '=', personId)
          .executeTakeFirst();
  // Another person's card is "not found", like one that does not exist.
  if (!holding) throw notFound(kind === 'phone_card' ? 'phone card' : 'bank account');
  // A card given back: its number may be someone else's now (numbers are recycled), and a
  // re-verification of the number would fall on them.
  if (kind === 'phone_card' && holding.status === 'cancelled')
    throw conflict(
      'card_given_back',
      'this card was given back and its number may be another person’s now: it is not re-verified; if it was opened in your name without you, tell the operator',
    );
  // A closed account stays open to "not mine": its number is not reissued, so the re-verification
  // falls on no one else, and the bank must still find out who opened it in this person's name.
  const open = await s.db
    .selectFrom('holding_disputes')
    .select(['id', 'instruction_id'])
    .where('holding_kind', '=', kind)
    .where('holding_id', '=', holdingId)
    .where('status', '=', 'open')
    .executeTakeFirst();
  if (open) return { disputeId: open.id, instructionId: open.instruction_id, created: false };
  const issuer = await selfServiceIssuer(s.db);
  const disputeId = crypto.randomUUID();
  const { instruction } = await createInstruction(
    s,
    issuer,
    {
      target: { kind: kind === 'phone_card' ? 'msisdn' : 'account', value: holding.value },
      measure: 're_verify',
      reason:
        `The registered holder says this ${kind === 'phone_card' ? 'card' : 'account'} is not theirs (dispute ${disputeId}): check who opened it and with which documents` +
        (holding.outlet ? ` (opened at outlet ${holding.outlet}).` : '.'),
      legalBasis: kind === 'phone_card' ? 'atof_art11' : 'atof_art18',
      receivingOrganisationId: holding.org,
      ref: `dispute:${disputeId}`,
    },
    opts.requestId ? { requestId: opts.requestId } : {},
  );
  try {
    await s.db
      .insertInto('holding_disputes')
      .values({
        id: disputeId,
        person_id: personId,
        holding_kind: kind,
        holding_id: holdingId,
        instruction_id: instruction.id,
      })
      .execute();
  } catch (err) {
    // Two clicks at once: the open-dispute index kept one; answer it (a second re-verification may have gone out: harmless).
    if ((err as { code?: string }).code !== '23505') throw err;
    const first = await s.db
      .selectFrom('holding_disputes')
      .select(['id', 'instruction_id'])
      .where('holding_kind', '=', kind)
      .where('holding_id', '=', holdingId)
      .where('status', '=', 'open')
      .executeTakeFirstOrThrow();
    return { disputeId: first.id, instructionId: first.instruction_id, created: false };
  }
  const actor: Actor = { kind: 'system', name: 'citizen self-service' };
  await audit(
    s.db,
    actor,
    {
      action: 'holding.dispute',
      targetKind: kind,
      targetId: holdingId,
      details: { disputeId, instructionId: instruction.id },
    },
    opts.requestId,
  );
  return { disputeId, instructionId: instruction.id, created: true };
}
