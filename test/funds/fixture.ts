import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api, Services } from '../../src/api/types.ts';
import type { Principal } from '../../src/identity/model.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { addBankAccount } from '../../src/privacy/service.ts';
import { loadLedger } from '../../src/funds/db-ledger.ts';
import type { FundServices } from '../../src/funds/stop-payments.ts';
import type { FundCaseInput } from '../../src/funds/cases.ts';

/**
 * Two victims whose money met in one mule account (MULE1, at bank A), then went on: MULE1 →
 * MULE2 (bank B) → MULE3 (bank A) → cash at an ATM. Amounts in fen.
 */
export const T0 = Date.parse('2026-11-02T08:00:00Z');
const at = (min: number) => new Date(T0 + min * 60_000).toISOString();

export const VICTIM_TRANSFERS = [
  { txnId: 'V-A-1', payer: 'VICTIMA001', payee: 'MULE1', amount: 5_000_000, ts: at(0) },
  { txnId: 'V-B-1', payer: 'VICTIMB001', payee: 'MULE1', amount: 3_000_000, ts: at(10) },
];
export const ONWARD = [
  { txnId: 'M-1-2', payer: 'MULE1', payee: 'MULE2', amount: 6_000_000, ts: at(20), channel: 'online' },
  { txnId: 'M-2-3', payer: 'MULE2', payee: 'MULE3', amount: 4_000_000, ts: at(30), channel: 'online' },
  { txnId: 'M-3-C', payer: 'MULE3', payee: '', amount: 1_000_000, ts: at(40), channel: 'atm' },
];

export function caseInput(): FundCaseInput {
  return {
    source: 'analyst',
    victims: [
      {
        name: '张三丰',
        idNumber: '110101199003071234',
        phone: '+8613812345678',
        transfers: [
          {
            txnId: 'V-A-1',
            payerAccount: 'VICTIMA001',
            payeeAccount: 'MULE1',
            amount: 5_000_000,
            paidAt: at(0),
          },
        ],
      },
      {
        name: '李四',
        transfers: [
          {
            txnId: 'V-B-1',
            payerAccount: 'VICTIMB001',
            payeeAccount: 'MULE1',
            amount: 3_000_000,
            paidAt: at(10),
          },
        ],
      },
    ],
  };
}

export interface Fixture {
  app: Api;
  services: Services;
  fs: FundServices;
  analyst: Principal;
  bankAUser: Principal;
  bankBUser: Principal;
  bankA: string;
  bankB: string;
  cookies: { analyst: string; bankA: string; bankB: string };
  close(): Promise<void>;
}

let n = 0;

/** A test app with the centre, two banks and their users, the mule accounts registered at the banks. */
export async function fundsFixture(
  opts: { onward?: boolean; env?: Record<string, string> } = {},
): Promise<Fixture> {
  const { app, services, close } = await testApp(opts.env ?? {});
  const tag = `${process.pid}-${++n}`;
  const centre = await seedUser(services, {
    org: `Centre ${tag}`,
    kind: 'anti_fraud_centre',
    username: `fc-analyst-${tag}`,
    roles: ['analyst', 'supervisor'],
  });
  const a = await seedUser(services, {
    org: `Bank A ${tag}`,
    kind: 'bank',
    username: `fc-bank-a-${tag}`,
    roles: ['institution_operator'],
  });
  const b = await seedUser(services, {
    org: `Bank B ${tag}`,
    kind: 'bank',
    username: `fc-bank-b-${tag}`,
    roles: ['institution_operator'],
  });
  for (const [account, bank] of [
    ['MULE1', a.organisationId],
    ['MULE2', b.organisationId],
    ['MULE3', a.organisationId],
  ] as const)
    await addBankAccount(services.db, SYSTEM, { account, institutionOrgId: bank, holderPersonId: null });
  const rows = [
    ...VICTIM_TRANSFERS.map((t) => ({ ...t, channel: 'online' })),
    ...(opts.onward === false ? [] : ONWARD),
  ].map((t) => ({
    txnId: t.txnId,
    ts: Date.parse(t.ts),
    payer: t.payer,
    payee: t.payee,
    amount: t.amount,
    currency: 'CNY',
    channel: t.channel,
  }));
  await loadLedger(services.db, rows);
  const principal = (
    u: { organisationId: string; userId: string },
    kind: Principal['organisationKind'],
    name: string,
    roles: Principal['roles'],
  ): Principal => ({
    kind: 'user',
    id: u.userId,
    name,
    organisationId: u.organisationId,
    organisationKind: kind,
    roles,
    scopes: [],
  });
  return {
    app,
    services,
    fs: { db: services.db, bus: services.bus, pii: services.pii, config: services.config },
    analyst: principal(centre, 'anti_fraud_centre', `fc-analyst-${tag}`, ['analyst', 'supervisor']),
    bankAUser: principal(a, 'bank', `fc-bank-a-${tag}`, ['institution_operator']),
    bankBUser: principal(b, 'bank', `fc-bank-b-${tag}`, ['institution_operator']),
    bankA: a.organisationId,
    bankB: b.organisationId,
    cookies: {
      analyst: await signInCookie(app, `fc-analyst-${tag}`),
      bankA: await signInCookie(app, `fc-bank-a-${tag}`),
      bankB: await signInCookie(app, `fc-bank-b-${tag}`),
    },
    close,
  };
}

let client = 0;
/** An authenticated inject; each call from its own client address (public rate limits). */
export async function call(app: Api, method: string, url: string, cookie: string, payload?: unknown) {
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers: { cookie },
    remoteAddress: `10.61.${++client >> 8}.${client & 255}`,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return {
    status: res.statusCode,
    // Read loosely: the tests assert on the fields they need.
    body: res.body ? JSON.parse(res.body) : null,
  };
}
