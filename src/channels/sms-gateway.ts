import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import smpp from 'smpp';
import type { DB } from '../core/db/schema.ts';
import { piiContext, type PiiCipher } from '../privacy/crypto.ts';
import { encodeSms, TextTooLongError } from './sms-encoding.ts';
import {
  LinkError,
  SmppLink,
  describeEndpoint,
  parseSmppUrl,
  statusName,
  type SmppEndpoint,
  type SubmitAnswer,
} from './smpp-link.ts';
import type { PartState } from './tables.ts';
import './tables.ts';

/**
 * The SMS gateway (docs/channels.md): sends the SMS outbox (`outbound_messages`, filled by
 * queueSms) to the operator's SMSC over SMPP 3.4 and records what became of each text.
 *
 * - Claims due pending texts in batches in a short transaction (FOR UPDATE SKIP LOCKED, and a lease
 *   on next_attempt_at), so several gateways share the outbox and none sends a text another holds.
 * - Decrypts recipient and text only to build the submit_sm; neither is ever logged.
 * - A refusal the SMSC calls temporary (throttling, queue full, system error), a dropped
 *   connection or a missing answer is retried with backoff; after MAX_ATTEMPTS, or at once on a
 *   permanent refusal (bad number, bad text), the text is `failed`.
 * - Texts wait (pending, attempts untouched) while the SMSC is down; the link reconnects.
 * - Delivery receipts (deliver_sm with the receipt esm_class) make a sent text `delivered` once
 *   every part is delivered, or `undelivered` as soon as one part is not.
 */

/** First retry delay; doubles after each failed attempt up to RETRY_MAX_MS. */
export const RETRY_BASE_MS = 15_000;
export const RETRY_MAX_MS = 3_600_000;
/** Attempts before a text is given up (`failed`): a few hours of retries. */
export const MAX_ATTEMPTS = 10;
/** How long a claimed batch is held. A text is only submitted while enough of the lease is left. */
export const CLAIM_LEASE_MS = 120_000;
/** How often due texts are looked for. */
export const POLL_EVERY_MS = 2_000;
const BATCH = 20;
/** How long a submit_sm waits for its answer. */
const RESPONSE_TIMEOUT_MS = 10_000;
const MAX_ERROR = 200;
/** A receipt that matched no sent part is kept this long in case the sender records the part late. */
const ORPHAN_RECEIPT_MS = 24 * 3_600_000;
const SWEEP_EVERY_MS = 10 * 60_000;

/** command_status values after which the same submit may succeed later. */
const TRANSIENT = new Set([
  smpp.ESME_RTHROTTLED,
  smpp.ESME_RMSGQFUL,
  smpp.ESME_RSYSERR,
  smpp.ESME_RX_T_APPN,
  smpp.errors.ESME_RSUBMITFAIL,
  smpp.errors.ESME_RDELIVERYFAILURE,
  smpp.errors.ESME_RUNKNOWNERR,
]);
const THROTTLING = new Set([smpp.ESME_RTHROTTLED, smpp.ESME_RMSGQFUL]);

/** Delay before attempt `attempts + 1`, after `attempts` failures: 15 s, 30 s, 1 min … up to 1 h. */
export function retryDelayMs(attempts: number, base = RETRY_BASE_MS, max = RETRY_MAX_MS): number {
  return Math.min(base * 2 ** Math.max(0, attempts - 1), max);
}

export interface SmsGatewayServices {
  db: Kysely<DB>;
  pii: PiiCipher;
  log: {
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
    error?(obj: object, msg?: string): void;
  };
}

export interface SmsGatewayOptions {
  endpoint: SmppEndpoint;
  /** Sender id (source_addr): a short code such as 12381, or letters. */
  source: string;
  pollEveryMs?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  leaseMs?: number;
  batch?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  responseTimeoutMs?: number;
  enquireLinkMs?: number;
  now?: () => number;
}

export interface SendRound {
  sent: number;
  retrying: number;
  failed: number;
  /** Claimed but given back unsent (the link went down, throttling, or the lease ran short). */
  released: number;
}

/** Where a submit_sm's addresses point: numeric short codes as they are, letters as alphanumeric. */
export function sourceAddress(
  source: string,
): Pick<smpp.PduFields, 'source_addr' | 'source_addr_ton' | 'source_addr_npi'> {
  if (/^\+?\d+$/.test(source)) {
    const international = source.startsWith('+');
    return {
      source_addr: source.replace(/^\+/, ''),
      source_addr_ton: international ? 0x01 : 0x00,
      source_addr_npi: international ? 0x01 : 0x00,
    };
  }
  return { source_addr: source, source_addr_ton: 0x05, source_addr_npi: 0x00 };
}

/** E.164 (`+8613812345678`) as an international ISDN destination; null when the recipient is not E.164. */
export function destinationAddress(
  phone: string,
): Pick<smpp.PduFields, 'destination_addr' | 'dest_addr_ton' | 'dest_addr_npi'> | null {
  if (!/^\+[1-9]\d{6,14}$/.test(phone)) return null;
  return { destination_addr: phone.slice(1), dest_addr_ton: 0x01, dest_addr_npi: 0x01 };
}

type Outcome =
  | { kind: 'sent'; messageIds: string[] }
  /** Not submitted: the link is down (give it back), or the lease is no longer this gateway's (leave it). */
  | { kind: 'unsent'; lost: boolean }
  | { kind: 'retry'; error: string; throttled: boolean }
  | { kind: 'failed'; error: string };

interface Claimed {
  id: string;
  key_id: string;
  recipient_enc: Uint8Array;
  body_enc: Uint8Array;
  attempts: number;
}

export class SmsGateway {
  readonly link: SmppLink;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SendRound> | null = null;
  private again = false;
  /** Started with start(): rounds run by themselves (every few seconds, and after each bind). */
  private polling = false;
  private lastSweep = 0;
  private readonly now: () => number;

  constructor(
    private readonly s: SmsGatewayServices,
    private readonly opts: SmsGatewayOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.link = new SmppLink(opts.endpoint, {
      ...(opts.reconnectBaseMs !== undefined ? { reconnectBaseMs: opts.reconnectBaseMs } : {}),
      ...(opts.reconnectMaxMs !== undefined ? { reconnectMaxMs: opts.reconnectMaxMs } : {}),
      ...(opts.responseTimeoutMs !== undefined ? { responseTimeoutMs: opts.responseTimeoutMs } : {}),
      ...(opts.enquireLinkMs !== undefined ? { enquireLinkMs: opts.enquireLinkMs } : {}),
      log: s.log,
      onDeliver: (pdu) => this.onDeliver(pdu),
      onBound: () => {
        if (this.polling) this.kick();
      },
    });
  }

  /** Connects (and keeps reconnecting) and sends due texts every few seconds until stop(). */
  start(): void {
    this.s.log.info(
      { smsc: describeEndpoint(this.opts.endpoint), source: this.opts.source },
      'SMS gateway starting',
    );
    this.polling = true;
    this.link.start();
    const every = this.opts.pollEveryMs ?? POLL_EVERY_MS;
    if (every > 0) {
      this.timer = setInterval(() => this.kick(), every);
      this.timer.unref();
    }
  }

  /** Binds (and keeps the bind) without sending by itself: the caller runs sendDue(). */
  connect(): void {
    this.link.start();
  }

  /** Waits until bound to the SMSC (false after timeoutMs). */
  waitBound(timeoutMs: number): Promise<boolean> {
    return this.link.waitBound(timeoutMs);
  }

  /** Starts a round unless one runs; a round asked for meanwhile runs right after it. */
  private kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sendDue()
      .catch((err: unknown) => {
        this.s.log.warn({ err: errorSummary(err) }, 'SMS outbox round failed');
        return { sent: 0, retrying: 0, failed: 0, released: 0 };
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Stops polling, waits for the round in flight, unbinds. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.polling = false;
    this.again = false;
    await this.running;
    await this.link.stop();
  }

  /**
   * Sends every due pending text while bound, batch after batch; returns what became of them.
   * Does nothing while the SMSC is not bound: the texts keep waiting, their attempts untouched.
   */
  async sendDue(): Promise<SendRound> {
    const out: SendRound = { sent: 0, retrying: 0, failed: 0, released: 0 };
    const batchSize = this.opts.batch ?? BATCH;
    for (let round = 0; round < 50 && this.link.isBound; round++) {
      const leaseUntil = this.now() + (this.opts.leaseMs ?? CLAIM_LEASE_MS);
      const batch = await this.claim(batchSize, leaseUntil);
      if (batch.length === 0) break;
      let stopAt = batch.length;
      for (let i = 0; i < batch.length; i++) {
        const m = batch[i]!;
        const outcome = await this.sendOne(m, leaseUntil);
        if (outcome.kind === 'unsent') {
          if (outcome.lost) continue;
          stopAt = i;
          break;
        }
        await this.record(m, outcome, out);
        if (outcome.kind === 'retry' && (outcome.throttled || !this.link.isBound)) {
          stopAt = i + 1;
          break;
        }
      }
      const rest = batch.slice(stopAt).map((m) => m.id);
      if (rest.length) {
        out.released += await this.release(rest, leaseUntil);
        break;
      }
      if (batch.length < batchSize) break;
    }
    if (this.now() - this.lastSweep > SWEEP_EVERY_MS) {
      this.lastSweep = this.now();
      await this.s.db
        .deleteFrom('outbound_message_parts')
        .where('message_id', 'is', null)
        .where('created_at', '<', new Date(this.now() - ORPHAN_RECEIPT_MS))
        .execute();
    }
    return out;
  }

  private async claim(limit: number, leaseUntil: number): Promise<Claimed[]> {
    // One millisecond ahead: a text queued in this very millisecond carries the database's now(),
    // which has microseconds, and is due.
    const now = new Date(this.now() + 1);
    return this.s.db.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('outbound_messages')
        .select(['id', 'key_id', 'recipient_enc', 'body_enc', 'attempts'])
        .where('status', '=', 'pending')
        .where('channel', '=', 'sms')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .orderBy('created_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length)
        await tx
          .updateTable('outbound_messages')
          .set({ next_attempt_at: new Date(leaseUntil) })
          .where(
            'id',
            'in',
            rows.map((r) => r.id),
          )
          .execute();
      return rows;
    });
  }

  /** Gives claimed texts back unsent, due now: no attempt is counted. Only those still held under this claim. */
  private async release(ids: string[], leaseUntil: number): Promise<number> {
    const r = await this.s.db
      .updateTable('outbound_messages')
      .set({ next_attempt_at: new Date(this.now()) })
      .where('id', 'in', ids)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', new Date(leaseUntil))
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /**
   * Holds the text for as long as its parts may take to be answered, if the claim is still this
   * gateway's (a slow round can outlive its lease, and another gateway may have claimed the text).
   */
  private async holdFor(m: Claimed, leaseUntil: number, parts: number): Promise<boolean> {
    if (this.now() >= leaseUntil) return false;
    const until = this.now() + parts * (this.opts.responseTimeoutMs ?? RESPONSE_TIMEOUT_MS) + 5_000;
    const r = await this.s.db
      .updateTable('outbound_messages')
      .set({ next_attempt_at: new Date(Math.max(until, leaseUntil)) })
      .where('id', '=', m.id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', new Date(leaseUntil))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  private async sendOne(m: Claimed, leaseUntil: number): Promise<Outcome> {
    let phone: string;
    let body: string;
    try {
      phone = this.s.pii.decrypt(
        m.key_id,
        m.recipient_enc,
        piiContext('outbound_messages', 'recipient_enc', m.id),
      );
      body = this.s.pii.decrypt(m.key_id, m.body_enc, piiContext('outbound_messages', 'body_enc', m.id));
    } catch {
      return { kind: 'failed', error: 'recipient or text unreadable (key missing?)' };
    }
    const destination = destinationAddress(phone);
    if (!destination) return { kind: 'failed', error: 'recipient is not an E.164 number' };
    let parts;
    try {
      parts = encodeSms(body, crypto.randomInt(256));
    } catch (err) {
      if (err instanceof TextTooLongError) return { kind: 'failed', error: err.message };
      throw err;
    }
    if (!this.link.isBound) return { kind: 'unsent', lost: false };
    if (!(await this.holdFor(m, leaseUntil, parts.length))) return { kind: 'unsent', lost: true };
    const messageIds: string[] = [];
    for (const part of parts) {
      let answer: SubmitAnswer;
      try {
        answer = await this.link.submit({
          ...sourceAddress(this.opts.source),
          ...destination,
          esm_class: part.esmClass,
          data_coding: part.dataCoding,
          // A final receipt, delivered or not.
          registered_delivery: 0x01,
          short_message: part.shortMessage,
        });
      } catch (err) {
        if (err instanceof LinkError) return { kind: 'retry', error: err.message, throttled: false };
        throw err;
      }
      if (answer.status !== smpp.ESME_ROK) {
        const error = `SMSC refused${parts.length > 1 ? ` part ${messageIds.length + 1}/${parts.length}` : ''}: ${statusName(answer.status)}`;
        return TRANSIENT.has(answer.status)
          ? { kind: 'retry', error, throttled: THROTTLING.has(answer.status) }
          : { kind: 'failed', error };
      }
      if (!answer.messageId)
        return { kind: 'retry', error: 'SMSC answered without a message_id', throttled: false };
      messageIds.push(answer.messageId);
    }
    return { kind: 'sent', messageIds };
  }

  private async record(
    m: Claimed,
    outcome: Exclude<Outcome, { kind: 'unsent' }>,
    out: SendRound,
  ): Promise<void> {
    const attempts = m.attempts + 1;
    const at = new Date(this.now());
    if (outcome.kind === 'sent') {
      out.sent++;
      await this.s.db.transaction().execute(async (tx) => {
        await tx
          .updateTable('outbound_messages')
          .set({ status: 'sent', sent_at: at, attempts, last_error: null, parts: outcome.messageIds.length })
          .where('id', '=', m.id)
          .execute();
        // A receipt that came first already holds the row: complete it.
        await tx
          .insertInto('outbound_message_parts')
          .values(
            outcome.messageIds.map((smscId, i) => ({
              smsc_message_id: smscId,
              message_id: m.id,
              part_number: i + 1,
            })),
          )
          .onConflict((oc) =>
            oc.column('smsc_message_id').doUpdateSet((eb) => ({
              message_id: eb.ref('excluded.message_id'),
              part_number: eb.ref('excluded.part_number'),
            })),
          )
          .execute();
      });
      await settleMessage(this.s.db, m.id);
      return;
    }
    const maxAttempts = this.opts.maxAttempts ?? MAX_ATTEMPTS;
    const error = outcome.error.slice(0, MAX_ERROR);
    if (outcome.kind === 'failed' || attempts >= maxAttempts) {
      out.failed++;
      this.s.log.warn({ message: m.id, attempts, error }, 'SMS not sent: given up');
      await this.s.db
        .updateTable('outbound_messages')
        .set({ status: 'failed', attempts, last_error: error })
        .where('id', '=', m.id)
        .where('status', '=', 'pending')
        .execute();
      return;
    }
    out.retrying++;
    const delay = retryDelayMs(attempts, this.opts.retryBaseMs, this.opts.retryMaxMs);
    await this.s.db
      .updateTable('outbound_messages')
      .set({ attempts, last_error: error, next_attempt_at: new Date(at.getTime() + delay) })
      .where('id', '=', m.id)
      .where('status', '=', 'pending')
      .execute();
  }

  private async onDeliver(pdu: smpp.PDU): Promise<void> {
    const receipt = parseReceipt(pdu);
    if (!receipt) {
      // A citizen's reply (mobile-originated): nothing reads those yet; the content is not logged.
      if (!isReceipt(pdu)) this.s.log.info({}, 'inbound SMS ignored');
      return;
    }
    await recordReceipt(this.s.db, receipt.smscMessageId, receipt.state, new Date(this.now()));
  }
}

// --- Receipts -----------------------------------------------------------------------------------

/** esm_class message type bits 2–5: 0x04 is an SMSC delivery receipt. */
export function isReceipt(pdu: Pick<smpp.PDU, 'esm_class'>): boolean {
  return ((pdu.esm_class ?? 0) & 0x3c) === 0x04;
}

/** message_state TLV values and receipt `stat:` words, final ones only (ENROUTE, ACCEPTED… are not). */
const FINAL_STATES = new Map<number | string, PartState>([
  [2, 'delivered'],
  [3, 'undelivered'],
  [4, 'undelivered'],
  [5, 'undelivered'],
  [7, 'undelivered'],
  [8, 'undelivered'],
  ['DELIVRD', 'delivered'],
  ['EXPIRED', 'undelivered'],
  ['DELETED', 'undelivered'],
  ['UNDELIV', 'undelivered'],
  ['UNKNOWN', 'undelivered'],
  ['REJECTD', 'undelivered'],
]);

function receiptText(pdu: smpp.PDU): string {
  const sm = pdu.short_message;
  if (sm === undefined || sm === null) return '';
  if (typeof sm === 'string') return sm;
  if (Buffer.isBuffer(sm)) return sm.toString('latin1');
  return typeof sm.message === 'string' ? sm.message : sm.message.toString('latin1');
}

/**
 * A final delivery receipt's SMSC message id and outcome; null for anything else. SMPP 3.4 puts
 * them in the receipted_message_id and message_state TLVs where the SMSC supports them, and always
 * in the text (`id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:…`).
 */
export function parseReceipt(pdu: smpp.PDU): { smscMessageId: string; state: PartState } | null {
  if (!isReceipt(pdu)) return null;
  const text = receiptText(pdu);
  const id = pdu.receipted_message_id || /(?:^|\s)id:(\S+)/i.exec(text)?.[1];
  const stat = /(?:^|\s)stat:(\w+)/i.exec(text)?.[1]?.toUpperCase();
  const state =
    pdu.message_state !== undefined
      ? FINAL_STATES.get(pdu.message_state)
      : stat
        ? FINAL_STATES.get(stat)
        : undefined;
  if (!id || !state) return null;
  return { smscMessageId: id, state };
}

/** Stores one part's receipt (before or after the sender recorded the part) and settles its text. */
export async function recordReceipt(
  db: Kysely<DB>,
  smscMessageId: string,
  state: PartState,
  at: Date,
): Promise<void> {
  const row = await db
    .insertInto('outbound_message_parts')
    .values({ smsc_message_id: smscMessageId, state, receipt_at: at })
    .onConflict((oc) => oc.column('smsc_message_id').doUpdateSet({ state, receipt_at: at }))
    .returning('message_id')
    .executeTakeFirst();
  if (row?.message_id) await settleMessage(db, row.message_id);
}

/**
 * A sent text is `delivered` when every part has a "delivered" receipt, `undelivered` as soon as
 * one part has another final one. Idempotent: called by both the sender and the receipt handler.
 */
export async function settleMessage(db: Kysely<DB>, messageId: string): Promise<void> {
  await db
    .updateTable('outbound_messages as m')
    .set({
      status: sql`case
        when exists (select 1 from outbound_message_parts p where p.message_id = m.id and p.state = 'undelivered')
          then 'undelivered' else 'delivered' end`,
      delivered_at: sql`case
        when exists (select 1 from outbound_message_parts p where p.message_id = m.id and p.state = 'undelivered')
          then null
        else (select max(p.receipt_at) from outbound_message_parts p where p.message_id = m.id) end`,
    })
    .where('m.id', '=', messageId)
    .where('m.status', '=', 'sent')
    .where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('outbound_message_parts as p')
            .select(sql`1`.as('one'))
            .whereRef('p.message_id', '=', 'm.id')
            .where('p.state', '=', 'undelivered'),
        ),
        eb(
          eb
            .selectFrom('outbound_message_parts as p')
            .select((e) => e.fn.countAll<number>().as('n'))
            .whereRef('p.message_id', '=', 'm.id')
            .where('p.state', '=', 'delivered'),
          '=',
          eb.ref('m.parts'),
        ),
      ]),
    )
    .execute();
}

/** Class and code of an error, never its message (which could quote a number). */
function errorSummary(err: unknown): { type: string; code?: string } {
  const e = err as { name?: string; code?: string };
  return { type: e?.name ?? typeof err, ...(e?.code ? { code: String(e.code) } : {}) };
}

// --- Running it ---------------------------------------------------------------------------------

/**
 * The gateway the configuration asks for, or null (logged once) when INTERDICT_SMPP_URL is unset:
 * then texts stay pending in the outbox.
 */
export function smsGatewayFromConfig(
  s: SmsGatewayServices & { config: { smppUrl: string | undefined; smsSource: string } },
  overrides: Partial<SmsGatewayOptions> = {},
): SmsGateway | null {
  if (!s.config.smppUrl) {
    s.log.info({}, 'SMS are not sent: INTERDICT_SMPP_URL is not set (texts wait in the SMS outbox)');
    return null;
  }
  let endpoint: SmppEndpoint;
  try {
    endpoint = parseSmppUrl(s.config.smppUrl);
  } catch (err) {
    throw new Error(`INTERDICT_SMPP_URL ${(err as Error).message}`);
  }
  return new SmsGateway(s, { endpoint, source: s.config.smsSource, ...overrides });
}
