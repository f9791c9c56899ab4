import type { Services } from '../api/types.ts';
import { SYSTEM } from '../core/audit.ts';
import { demoPrincipal } from './principal.ts';
import type { Principal } from '../identity/model.ts';
import { addBankAccount } from '../privacy/service.ts';
import { loadLedger } from '../funds/db-ledger.ts';
import { openFundCase } from '../funds/cases.ts';
import {
  answerFreeze,
  answerStopPayment,
  changeStopPayment,
  requestStopPayment,
  type FundServices,
} from '../funds/stop-payments.ts';

/**
 * A fund case for the funds pages: two victims of one fake investment platform paid the same mule
 * account at Demo Bank; the money went on to Demo Pay, back to Demo Bank and partly out in cash,
 * so the trace draws three hops. Demo Bank stopped what was left in the first account; Demo Pay
 * stopped and then froze what reached it; a stop-payment for the third account waits for Demo
 * Bank (sign in as `bank.operator`).
 */

const MULE1 = '6217000090000011';
const MULE2 = '6217000090000029';
const MULE3 = '6217000090000037';
const MIN = 60_000;

/** Returns the case's reference and the mule accounts it registered at the banks. */
export async function seedFunds(
  s: Services,
  org: Record<string, string>,
): Promise<{ reference: string; bankAccounts: number }> {
  const fs: FundServices = { db: s.db, bus: s.bus, pii: s.pii, config: s.config };
  for (const [account, bank] of [
    [MULE1, org.bank!],
    [MULE2, org.pay!],
    [MULE3, org.bank!],
  ] as const)
    await addBankAccount(s.db, SYSTEM, {
      account,
      institutionOrgId: bank,
      holderPersonId: null,
      accountType: 'personal',
    });

  const now = Date.now();
  const t0 = now - 3 * 60 * MIN;
  const at = (m: number) => t0 + m * MIN;
  const row = (txnId: string, m: number, payer: string, payee: string, yuan: number, channel = 'mobile') => ({
    txnId,
    ts: at(m),
    payer,
    payee,
    amount: yuan * 100,
    currency: 'CNY',
    channel,
  });
  await loadLedger(s.db, [
    row('DEMO-V1', 0, '6222020000000001', MULE1, 80_000),
    row('DEMO-V2', 10, '6222020000000002', MULE1, 40_000, 'counter'),
    row('DEMO-H1', 20, MULE1, MULE2, 90_000),
    row('DEMO-H2', 30, MULE2, MULE3, 60_000),
    row('DEMO-C1', 40, MULE3, '', 20_000, 'atm'),
  ]);

  const analyst = await demoPrincipal(s.db, 'centre.analyst');
  const bank = await demoPrincipal(s.db, 'bank.operator');
  // Demo Pay has no user of its own in the demo: its answers come from its system.
  const pay: Principal = { ...bank, id: 'demo-pay', name: 'demo-pay', organisationId: org.pay! };

  const paid = (m: number) => new Date(at(m)).toISOString();
  const { id, reference } = await openFundCase(
    s.db,
    fs,
    analyst,
    {
      source: 'analyst',
      victims: [
        {
          name: '陈红',
          phone: '+8613900001111',
          transfers: [
            {
              txnId: 'DEMO-V1',
              payerAccount: '6222020000000001',
              payeeAccount: MULE1,
              amount: 8_000_000,
              paidAt: paid(0),
            },
          ],
        },
        {
          name: '刘强',
          transfers: [
            {
              txnId: 'DEMO-V2',
              payerAccount: '6222020000000002',
              payeeAccount: MULE1,
              amount: 4_000_000,
              paidAt: paid(10),
            },
          ],
        },
      ],
    },
    { now: at(60) },
  );
  // The first stop-payment (what MULE1 still holds: 30,000.00), executed by Demo Bank.
  const first = await s.db
    .selectFrom('stop_payments')
    .select('id')
    .where('case_id', '=', id)
    .executeTakeFirstOrThrow();
  await answerStopPayment(fs, bank, first.id, { kind: 'acknowledge' }, { now: at(70) });
  await answerStopPayment(fs, bank, first.id, { kind: 'execute', amount: 3_000_000 }, { now: at(75) });
  // Demo Pay stopped what reached it, then the stop was converted to a freeze and frozen.
  const second = await requestStopPayment(
    fs,
    analyst,
    id,
    { account: MULE2, amount: 3_000_000 },
    { now: at(80) },
  );
  await answerStopPayment(fs, pay, second.id, { kind: 'execute', amount: 3_000_000 }, { now: at(90) });
  const converted = await changeStopPayment(fs, analyst, second.id, 'convert', { now: at(100) });
  await answerFreeze(fs, pay, converted.freezeId!, { kind: 'execute', amount: 3_000_000 }, { now: at(110) });
  // The third account's stop-payment waits for Demo Bank.
  await requestStopPayment(fs, analyst, id, { account: MULE3, amount: 4_000_000 });
  return { reference, bankAccounts: 3 };
}
