import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import smpp from 'smpp';
import type { Services } from '../../src/api/types.ts';
import { loadConfig, ConfigError } from '../../src/core/config.ts';
import { createLogger } from '../../src/core/log.ts';
import { queueSms } from '../../src/governance/sms.ts';
import { encodeSms, splitSms } from '../../src/channels/sms-encoding.ts';
import { parseSmppUrl } from '../../src/channels/smpp-link.ts';
import {
  SmsGateway,
  parseReceipt,
  smsGatewayFromConfig,
  type SmsGatewayOptions,
} from '../../src/channels/sms-gateway.ts';
import { openCore } from '../../src/platform.ts';
import { generatePiiKeySpec } from '../../src/privacy/crypto.ts';
import { seedUser, signInCookie, testApp } from '../helpers/app.ts';
import { openTestDatabase, usingPostgres } from '../helpers/db.ts';

// --- An in-process SMSC -------------------------------------------------------------------------

interface Received {
  destination: string;
  destTon: number;
  source: string;
  dataCoding: number;
  registeredDelivery: number;
  text: string;
  concat: { reference: number; total: number; number: number } | null;
  messageId: string;
}

interface SmscOptions {
  /** command_status for the nth submit_sm (1-based) to this SMSC; default ESME_ROK. */
  answer?: (n: number, r: Omit<Received, 'messageId'>) => number;
  /** Sends a receipt for the part right before answering submit_sm (a fast SMSC). */
  receiptFirst?: boolean;
}

class Smsc {
  readonly received: Received[] = [];
  readonly server: smpp.Server;
  port = 0;
  binds = 0;
  private n = 0;
  opts: SmscOptions;

  constructor(opts: SmscOptions = {}) {
    this.opts = opts;
    this.server = smpp.createServer((session) => {
      session.on('error', () => undefined);
      session.on('bind_transceiver', (pdu) => {
        if (pdu.system_id !== 'interdict' || pdu.password !== 's3cret') {
          session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
          session.close();
          return;
        }
        this.binds++;
        session.send(pdu.response({ system_id: 'test-smsc' }));
      });
      session.on('enquire_link', (pdu) => session.send(pdu.response()));
      session.on('unbind', (pdu) => {
        session.send(pdu.response());
        session.close();
      });
      session.on('deliver_sm_resp', () => undefined);
      session.on('submit_sm', (pdu) => {
        // The library decodes short_message by data_coding and splits off the UDH: an independent reading.
        const sm = pdu.short_message as smpp.DecodedMessage;
        const concatIe = sm.udh?.find((ie) => ie[0] === 0x00);
        const r = {
          destination: pdu.destination_addr ?? '',
          destTon: (pdu as unknown as { dest_addr_ton: number }).dest_addr_ton,
          source: pdu.source_addr ?? '',
          dataCoding: pdu.data_coding ?? -1,
          registeredDelivery: pdu.registered_delivery ?? 0,
          text: typeof sm.message === 'string' ? sm.message : sm.message.toString('hex'),
          concat: concatIe ? { reference: concatIe[2]!, total: concatIe[3]!, number: concatIe[4]! } : null,
        };
        const status = this.opts.answer?.(++this.n, r) ?? smpp.ESME_ROK;
        if (status !== smpp.ESME_ROK) {
          session.send(pdu.response({ command_status: status }));
          return;
        }
        const messageId = `smsc-${this.port}-${this.received.length + 1}`;
        this.received.push({ ...r, messageId });
        if (this.opts.receiptFirst) sendReceipt(session, messageId, { tlv: 'DELIVERED' });
        session.send(pdu.response({ message_id: messageId }));
      });
    });
  }

  listen(port = 0): Promise<void> {
    return new Promise((resolve) => {
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  /** The texts as a handset shows them: concatenated parts joined in order. */
  texts(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const groups = new Map<string, Received[]>();
    for (const r of this.received) {
      if (!r.concat) {
        out.set(r.destination, [...(out.get(r.destination) ?? []), r.text]);
        continue;
      }
      const k = `${r.destination}/${r.concat.reference}`;
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    for (const parts of groups.values()) {
      const total = parts[0]!.concat!.total;
      if (parts.length !== total) continue;
      const text = parts
        .sort((a, b) => a.concat!.number - b.concat!.number)
        .map((p) => p.text)
        .join('');
      out.set(parts[0]!.destination, [...(out.get(parts[0]!.destination) ?? []), text]);
    }
    return out;
  }

  session(): smpp.Session {
    const s = this.server.sessions[0];
    assert.ok(s, 'a gateway is bound');
    return s;
  }

  close(): Promise<void> {
    for (const s of [...this.server.sessions]) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function sendReceipt(
  session: smpp.Session,
  messageId: string,
  how: { tlv?: 'DELIVERED' | 'UNDELIVERABLE'; stat?: string },
): void {
  const states = { DELIVERED: 2, UNDELIVERABLE: 5 };
  session.deliver_sm({
    source_addr: '8613800000000',
    destination_addr: '12381',
    esm_class: 0x04,
    short_message: `id:${messageId} sub:001 dlvrd:001 submit date:2611302000 done date:2611302001 stat:${
      how.stat ?? (how.tlv === 'DELIVERED' ? 'DELIVRD' : 'UNDELIV')
    } err:000 text:`,
    ...(how.tlv ? { receipted_message_id: messageId, message_state: states[how.tlv] } : {}),
  });
}

/** Runs the CLI from source without blocking this process (the SMSC above answers it). */
function cli(
  dir: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.resolve('src/cli/main.ts'), '--data-dir', dir, ...args],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill(), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// --- Set-up -------------------------------------------------------------------------------------

let ctx: Awaited<ReturnType<typeof testApp>>;
let s: Services;
/** Everything every gateway in this file logged. */
let logged = '';
const log = createLogger(
  'trace',
  new Writable({
    write(chunk, _enc, cb) {
      logged += chunk.toString();
      cb();
    },
  }),
);
const gateways: SmsGateway[] = [];
const smscs: Smsc[] = [];
/** Every recipient and text queued here: none may reach a log line. */
const secrets: string[] = [];

before(async () => {
  ctx = await testApp();
  s = ctx.services;
});

// Each test has its own gateways and SMSC: an earlier test's gateway still bound (it sends what is
// due when it binds again) must not take this test's texts.
beforeEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
});

after(async () => {
  for (const g of gateways) await g.stop();
  for (const m of smscs) await m.close();
  await ctx.close();
});

async function smsc(opts: SmscOptions = {}, port = 0): Promise<Smsc> {
  const m = new Smsc(opts);
  await m.listen(port);
  smscs.push(m);
  return m;
}

function gateway(port: number, opts: Partial<SmsGatewayOptions> = {}): SmsGateway {
  const g = new SmsGateway(
    { db: s.db, pii: s.pii, log },
    {
      endpoint: parseSmppUrl(`smpp://interdict:s3cret@127.0.0.1:${port}`),
      source: '12381',
      pollEveryMs: 0,
      reconnectBaseMs: 20,
      reconnectMaxMs: 100,
      responseTimeoutMs: 2_000,
      ...opts,
    },
  );
  gateways.push(g);
  return g;
}

async function bound(g: SmsGateway): Promise<SmsGateway> {
  g.connect();
  assert.equal(await g.waitBound(5_000), true, 'bound to the SMSC');
  return g;
}

let phoneSeq = 0;
/** A distinct mobile number per text, so the SMSC's log tells texts apart. */
function phone(): string {
  phoneSeq++;
  return `+86138${String(10_000_000 + phoneSeq * 7919).slice(-8)}`;
}

async function queue(text: string, purpose = 'appeal'): Promise<{ id: string; phone: string }> {
  const p = phone();
  secrets.push(p, p.slice(1), text);
  const id = await queueSms(s.db, s.pii, p, text, purpose);
  return { id, phone: p };
}

async function row(id: string) {
  return s.db.selectFrom('outbound_messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function until(what: string, fn: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Leaves nothing due for the next test: texts of a test that ended early are set aside. */
async function clearOutbox(): Promise<void> {
  await s.db
    .updateTable('outbound_messages')
    .set({ status: 'failed', last_error: 'test set aside' })
    .where('status', '=', 'pending')
    .execute();
}

// --- Tests --------------------------------------------------------------------------------------

describe('encoding', () => {
  test('GSM for plain text, UCS-2 for Chinese; parts never cut a character', () => {
    assert.equal(splitSms('Your appeal A1B2 was received.').alphabet, 'gsm');
    assert.equal(splitSms('您的申诉已受理').alphabet, 'ucs2');
    // Extension characters count twice: 80 of them fill one SMS (160 septets), 81 need two parts.
    assert.equal(splitSms('€'.repeat(80)).texts.length, 1);
    assert.equal(splitSms('€'.repeat(81)).texts.length, 2);
    assert.equal(splitSms('x'.repeat(160)).texts.length, 1);
    assert.deepEqual(
      splitSms('x'.repeat(161)).texts.map((t) => t.length),
      [153, 8],
    );
    assert.equal(splitSms('反'.repeat(70)).texts.length, 1);
    assert.deepEqual(
      splitSms('反'.repeat(71)).texts.map((t) => t.length),
      [67, 4],
    );
    // An emoji is two UTF-16 units and is not split across parts.
    const emoji = splitSms('a' + '😀'.repeat(40)).texts;
    assert.ok(emoji.every((t) => !/[\ud800-\udbff]$/.test(t)));
    assert.equal(emoji.join(''), 'a' + '😀'.repeat(40));
    const parts = encodeSms('x'.repeat(400), 9);
    assert.equal(parts.length, 3);
    assert.ok(parts.every((p) => p.esmClass === 0x40 && p.shortMessage.length <= 159));
    assert.deepEqual([...parts[2]!.shortMessage.subarray(0, 6)], [5, 0, 3, 9, 3, 3]);
  });

  test('receipts are read from the TLVs or the text; intermediate states are not final', () => {
    const pdu = (fields: smpp.PduFields) => new smpp.PDU('deliver_sm', fields);
    assert.deepEqual(
      parseReceipt(pdu({ esm_class: 0x04, short_message: 'id:77 sub:001 dlvrd:001 stat:DELIVRD err:000' })),
      { smscMessageId: '77', state: 'delivered' },
    );
    assert.deepEqual(
      parseReceipt(
        pdu({ esm_class: 0x04, receipted_message_id: 'ab', message_state: 5, short_message: 'x' }),
      ),
      { smscMessageId: 'ab', state: 'undelivered' },
    );
    assert.equal(parseReceipt(pdu({ esm_class: 0x04, short_message: 'id:77 stat:ENROUTE' })), null);
    assert.equal(parseReceipt(pdu({ esm_class: 0x00, short_message: 'id:77 stat:DELIVRD' })), null);
  });
});

describe('configuration', () => {
  test('without INTERDICT_SMPP_URL no gateway runs, said once; a bad URL stops the start without its password', () => {
    let said = '';
    const g = smsGatewayFromConfig({
      db: s.db,
      pii: s.pii,
      log: { info: (_o, m) => void (said += m), warn: () => undefined },
      config: { smppUrl: undefined, smsSource: '12381' },
    });
    assert.equal(g, null);
    assert.match(said, /not sent/);
    const c = loadConfig({ INTERDICT_SMPP_URL: 'smpp://id:pw@smsc.example:2775' });
    assert.equal(c.smppUrl, 'smpp://id:pw@smsc.example:2775');
    assert.equal(c.smsSource, '12381');
    assert.throws(
      () => loadConfig({ INTERDICT_SMPP_URL: 'http://id:hunter2@smsc.example' }),
      (err: Error) =>
        err instanceof ConfigError && /INTERDICT_SMPP_URL/.test(err.message) && !/hunter2/.test(err.message),
    );
    assert.throws(() => parseSmppUrl('smpp://smsc.example:2775'), /system_id/);
    assert.deepEqual(parseSmppUrl('smpp://id:pw@smsc.example'), {
      host: 'smsc.example',
      port: 2775,
      tls: false,
      systemId: 'id',
      password: 'pw',
    });
  });
});

describe('SMS gateway over SMPP', () => {
  test('Chinese and English texts arrive intact, from 12381, with a receipt asked for; sent with the message id', async () => {
    const m = await smsc();
    const g = await bound(gateway(m.port));
    const en = await queue('Interdict: your appeal A7K2 was received; a decision within 15 days. {ref} 5€');
    const zh = await queue(
      '【反诈中心】您的申诉A7K2已受理，我们将在15日内作出决定。请勿向任何人透露验证码。',
    );
    const r = await g.sendDue();
    assert.deepEqual(r, { sent: 2, retrying: 0, failed: 0, released: 0 });
    const texts = m.texts();
    assert.deepEqual(texts.get(en.phone.slice(1)), [
      'Interdict: your appeal A7K2 was received; a decision within 15 days. {ref} 5€',
    ]);
    assert.deepEqual(texts.get(zh.phone.slice(1)), [
      '【反诈中心】您的申诉A7K2已受理，我们将在15日内作出决定。请勿向任何人透露验证码。',
    ]);
    const byDest = new Map(m.received.map((x) => [x.destination, x]));
    assert.equal(byDest.get(en.phone.slice(1))!.dataCoding, 0);
    assert.equal(byDest.get(zh.phone.slice(1))!.dataCoding, 8);
    for (const x of m.received) {
      assert.equal(x.source, '12381');
      assert.equal(x.destTon, 1);
      assert.equal(x.registeredDelivery, 1);
    }
    for (const q of [en, zh]) {
      const msg = await row(q.id);
      assert.equal(msg.status, 'sent');
      assert.equal(msg.attempts, 1);
      assert.equal(msg.parts, 1);
      assert.ok(msg.sent_at);
      const parts = await s.db
        .selectFrom('outbound_message_parts')
        .selectAll()
        .where('message_id', '=', q.id)
        .execute();
      assert.deepEqual(
        parts.map((p) => p.smsc_message_id),
        [byDest.get(q.phone.slice(1))!.messageId],
      );
    }
    assert.deepEqual(
      await g.sendDue(),
      { sent: 0, retrying: 0, failed: 0, released: 0 },
      'nothing sent twice',
    );
    await g.stop();
  });

  test('long texts go as concatenated parts and arrive whole', async () => {
    const m = await smsc();
    const g = await bound(gateway(m.port));
    const enText = Array.from(
      { length: 12 },
      (_, i) => `Line ${i + 1} of a long notice about your appeal.`,
    ).join(' ');
    const zhText = '您的申诉已经受理。'.repeat(20);
    const en = await queue(enText);
    const zh = await queue(zhText);
    await g.sendDue();
    const texts = m.texts();
    assert.deepEqual(texts.get(en.phone.slice(1)), [enText]);
    assert.deepEqual(texts.get(zh.phone.slice(1)), [zhText]);
    const enParts = m.received.filter((x) => x.destination === en.phone.slice(1));
    const zhParts = m.received.filter((x) => x.destination === zh.phone.slice(1));
    assert.equal(enParts.length, Math.ceil(enText.length / 153));
    assert.equal(zhParts.length, Math.ceil(zhText.length / 67));
    assert.ok(enParts.every((p) => p.concat?.total === enParts.length));
    assert.equal((await row(en.id)).parts, enParts.length);
    assert.equal((await row(zh.id)).parts, zhParts.length);
    await g.stop();
  });

  test('a throttling SMSC: the text is retried after the backoff; a permanent refusal fails at once; retries end', async () => {
    let clock = Date.now() + 1_000;
    const refusals = new Map<string, number[]>();
    const m = await smsc({
      answer: (_n, r) => refusals.get(r.destination)?.shift() ?? smpp.ESME_ROK,
    });
    const g = await bound(gateway(m.port, { now: () => clock, retryBaseMs: 30_000, maxAttempts: 3 }));
    const throttled = await queue('Your code is 481516. It expires in 10 minutes.');
    refusals.set(throttled.phone.slice(1), [smpp.ESME_RTHROTTLED]);
    let r = await g.sendDue();
    assert.equal(r.retrying, 1);
    let msg = await row(throttled.id);
    assert.equal(msg.status, 'pending');
    assert.equal(msg.attempts, 1);
    assert.match(msg.last_error ?? '', /ESME_RTHROTTLED/);
    assert.equal(new Date(msg.next_attempt_at).getTime(), clock + 30_000);
    // Not due yet: nothing is sent.
    assert.deepEqual(await g.sendDue(), { sent: 0, retrying: 0, failed: 0, released: 0 });
    assert.equal(m.received.length, 0);
    clock += 30_000;
    r = await g.sendDue();
    assert.equal(r.sent, 1);
    msg = await row(throttled.id);
    assert.equal(msg.status, 'sent');
    assert.equal(msg.attempts, 2);
    assert.equal(msg.last_error, null);
    assert.deepEqual(m.texts().get(throttled.phone.slice(1)), [
      'Your code is 481516. It expires in 10 minutes.',
    ]);

    const bad = await queue('To a number the SMSC does not know.');
    refusals.set(bad.phone.slice(1), [smpp.ESME_RINVDSTADR]);
    const busy = await queue('To an SMSC that stays busy.');
    refusals.set(busy.phone.slice(1), [smpp.ESME_RMSGQFUL, smpp.ESME_RSYSERR, smpp.ESME_RMSGQFUL]);
    r = await g.sendDue();
    msg = await row(bad.id);
    assert.equal(msg.status, 'failed');
    assert.match(msg.last_error ?? '', /ESME_RINVDSTADR/);
    for (let i = 0; i < 4; i++) {
      clock += 3_600_000;
      await g.sendDue();
    }
    msg = await row(busy.id);
    assert.equal(msg.status, 'failed');
    assert.equal(msg.attempts, 3);
    assert.match(msg.last_error ?? '', /ESME_RMSGQFUL/);
    await g.stop();
  });

  test('while the SMSC is down texts stay pending; once it is up the gateway binds and sends them', async () => {
    // A port with nothing listening.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    const g = gateway(port, { pollEveryMs: 50 });
    const q = await queue('Sent once the SMSC is back.');
    g.start();
    assert.equal(await g.waitBound(300), false);
    assert.deepEqual(await g.sendDue(), { sent: 0, retrying: 0, failed: 0, released: 0 });
    let msg = await row(q.id);
    assert.equal(msg.status, 'pending');
    assert.equal(msg.attempts, 0);

    const m = await smsc({}, port);
    await until('the text to be sent', async () => (await row(q.id)).status === 'sent');
    assert.deepEqual(m.texts().get(q.phone.slice(1)), ['Sent once the SMSC is back.']);
    msg = await row(q.id);
    assert.equal(msg.attempts, 1);

    // The SMSC drops the connection: the gateway binds again by itself.
    const binds = m.binds;
    m.session().destroy();
    await until('a new bind', () => m.binds > binds && g.link.isBound);
    const q2 = await queue('Sent after the reconnect.');
    await until('the second text', async () => (await row(q2.id)).status === 'sent');
    await g.stop();
  });

  test('delivery receipts make texts delivered or undelivered; a long text is delivered when every part is', async () => {
    const m = await smsc();
    const g = await bound(gateway(m.port));
    const ok = await queue('Delivered text.');
    const lost = await queue('Undelivered text.');
    const long = await queue('Part of a long text. '.repeat(20));
    await g.sendDue();
    const idsOf = (p: string) =>
      m.received.filter((x) => x.destination === p.slice(1)).map((x) => x.messageId);
    const session = m.session();
    sendReceipt(session, idsOf(ok.phone)[0]!, { tlv: 'DELIVERED' });
    // Text only, as many SMPP 3.4 SMSCs send them.
    sendReceipt(session, idsOf(lost.phone)[0]!, { stat: 'UNDELIV' });
    await until(
      'receipts',
      async () => (await row(ok.id)).status === 'delivered' && (await row(lost.id)).status === 'undelivered',
    );
    assert.ok((await row(ok.id)).delivered_at);
    assert.equal((await row(lost.id)).delivered_at, null);

    const longIds = idsOf(long.phone);
    assert.ok(longIds.length >= 3);
    for (const id of longIds.slice(0, -1)) sendReceipt(session, id, { tlv: 'DELIVERED' });
    // An intermediate receipt changes nothing.
    sendReceipt(session, longIds.at(-1)!, { stat: 'ENROUTE' });
    await until('part receipts', async () => {
      const n = await s.db
        .selectFrom('outbound_message_parts')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('message_id', '=', long.id)
        .where('state', '=', 'delivered')
        .executeTakeFirstOrThrow();
      return Number(n.n) === longIds.length - 1;
    });
    assert.equal((await row(long.id)).status, 'sent');
    sendReceipt(session, longIds.at(-1)!, { tlv: 'DELIVERED' });
    await until('the long text delivered', async () => (await row(long.id)).status === 'delivered');
    await g.stop();
  });

  test('a receipt that comes before the submit is answered still counts', async () => {
    const m = await smsc({ receiptFirst: true });
    const g = await bound(gateway(m.port));
    const q = await queue('Fast SMSC.');
    await g.sendDue();
    await until('delivered', async () => (await row(q.id)).status === 'delivered');
    await g.stop();
  });

  test('two gateways sharing the outbox never send one text twice', async () => {
    await clearOutbox();
    const m = await smsc();
    const a = await bound(gateway(m.port, { batch: 5 }));
    const b = await bound(gateway(m.port, { batch: 5 }));
    const queued = [];
    for (let i = 0; i < 40; i++) queued.push(await queue(`Shared outbox text number ${i}.`));
    const [ra, rb] = await Promise.all([a.sendDue(), b.sendDue()]);
    // Whatever one left (its batch was taken), the next rounds send.
    await Promise.all([a.sendDue(), b.sendDue()]);
    assert.equal(m.received.length, 40, `sent ${ra.sent} + ${rb.sent}`);
    assert.equal(new Set(m.received.map((x) => x.destination)).size, 40);
    for (const q of queued) assert.equal((await row(q.id)).status, 'sent');
    await a.stop();
    await b.stop();
  });

  test('a claim whose lease has run out is not submitted: another gateway may hold the text by then', async () => {
    await clearOutbox();
    const m = await smsc();
    const g = await bound(gateway(m.port, { leaseMs: 0 }));
    const q = await queue('Claimed too long ago.');
    assert.deepEqual(await g.sendDue(), { sent: 0, retrying: 0, failed: 0, released: 0 });
    assert.equal(m.received.length, 0);
    const msg = await row(q.id);
    assert.equal(msg.status, 'pending');
    assert.equal(msg.attempts, 0);
    await g.stop();
    await clearOutbox();
  });

  test('GET /v1/sms/outbox/statistics: counts by status and purpose, the oldest pending age, no personal data', async () => {
    await clearOutbox();
    const p = await queue('A code nobody has sent yet.', 'registered_code');
    await s.db
      .updateTable('outbound_messages')
      .set({ created_at: new Date(Date.now() - 600_000) })
      .where('id', '=', p.id)
      .execute();
    await seedUser(s, {
      org: 'Centre',
      kind: 'anti_fraud_centre',
      username: 'sms-sup',
      roles: ['supervisor'],
    });
    await seedUser(s, {
      org: 'Centre',
      kind: 'anti_fraud_centre',
      username: 'sms-analyst',
      roles: ['analyst'],
    });
    await seedUser(s, { org: 'Bank', kind: 'bank', username: 'sms-bank', roles: ['administrator'] });
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/v1/sms/outbox/statistics',
      headers: { cookie: await signInCookie(ctx.app, 'sms-sup') },
      remoteAddress: '10.9.0.1',
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    const inDb = await s.db
      .selectFrom('outbound_messages')
      .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('status')
      .execute();
    for (const r of inDb) assert.equal(body.byStatus[r.status], Number(r.n));
    assert.equal(body.byStatus.pending, 1);
    assert.ok(body.byStatus.sent >= 1 && body.byStatus.delivered >= 1 && body.byStatus.failed >= 1);
    const code = body.byPurpose.find((x: { purpose: string }) => x.purpose === 'registered_code');
    assert.deepEqual({ pending: code.pending, total: code.total }, { pending: 1, total: 1 });
    assert.ok(body.oldestPendingAgeSeconds >= 600 && body.oldestPendingAgeSeconds < 3_600);
    for (const secret of secrets) assert.ok(!res.body.includes(secret));
    for (const who of ['sms-analyst', 'sms-bank']) {
      const denied = await ctx.app.inject({
        method: 'GET',
        url: '/v1/sms/outbox/statistics',
        headers: { cookie: await signInCookie(ctx.app, who) },
        remoteAddress: '10.9.0.2',
      });
      assert.equal(denied.statusCode, 403, who);
    }
  });

  test('interdict sms send-pending --once binds, sends what is due and exits; without the URL it says so', async () => {
    const m = await smsc();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-sms-cli-'));
    // On PostgreSQL the CLI works on a fresh database of its own, as a separate process would.
    const pg = usingPostgres() ? await openTestDatabase() : null;
    const env = {
      DATABASE_URL: pg?.url ?? '',
      NATS_URL: '',
      LOG_LEVEL: 'warn',
      INTERDICT_DEMO: 'off',
      INTERDICT_PII_KEYS: generatePiiKeySpec('t1'),
      INTERDICT_LOOKUP_KEY: crypto.randomBytes(32).toString('base64'),
    };
    try {
      const text = '【反诈中心】命令行发送的短信。';
      const to = '+8613900001111';
      secrets.push(to, to.slice(1), text);
      const before = await openCore({ dataDir: dir, env, logLevel: 'silent' });
      const id = await queueSms(before.db, before.pii, to, text, 'appeal');
      await before.close();

      const url = `smpp://interdict:s3cret@127.0.0.1:${m.port}`;
      const r = await cli(dir, ['sms', 'send-pending', '--once', '--json'], {
        ...env,
        INTERDICT_SMPP_URL: url,
      });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.deepEqual(
        { sent: out.sent, retrying: out.retrying, failed: out.failed },
        { sent: 1, retrying: 0, failed: 0 },
      );
      assert.equal(out.smsc, `smpp://interdict@127.0.0.1:${m.port}`);
      for (const secret of [to.slice(1), text, 's3cret']) assert.ok(!(r.stdout + r.stderr).includes(secret));
      assert.deepEqual(m.texts().get(to.slice(1)), [text]);

      const after = await openCore({ dataDir: dir, env, logLevel: 'silent' });
      try {
        const msg = await after.db
          .selectFrom('outbound_messages')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        assert.equal(msg.status, 'sent');
      } finally {
        await after.close();
      }

      const none = await cli(dir, ['sms', 'send-pending', '--once'], env);
      assert.notEqual(none.code, 0);
      assert.match(none.stderr, /INTERDICT_SMPP_URL is not set/);
    } finally {
      await pg?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('nothing decrypted, and no password, reached the logs', () => {
    assert.match(logged, /SMSC bound/, 'the gateways did log');
    assert.ok(secrets.length > 40);
    for (const secret of secrets) assert.ok(!logged.includes(secret), 'a recipient or text was logged');
    assert.ok(!logged.includes('s3cret'), 'the SMPP password was logged');
  });
});
