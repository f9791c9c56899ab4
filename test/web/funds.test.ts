/**
 * The layout of a fund case's trace graph (web/src/pages/funds/traceLayout.ts): columns by hop,
 * cash-outs as terminal nodes beside their account, parallel transfers drawn once, rows ordered so
 * that a chain does not cross its neighbour, money coming back drawn as a loop, nothing
 * overlapping on a 50-account trace, and the same picture whatever the order of the input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  holdingsByVictim,
  layoutTrace,
  type LayoutAccount,
  type LayoutInput,
  type LayoutNode,
  type LayoutTransfer,
  type TraceLayout,
} from '../../web/src/pages/funds/traceLayout.ts';
import { caseInput } from '../../web/src/pages/funds/OpenCaseForm.tsx';

const acct = (
  account: string,
  depth: number,
  held = 0,
  extra: Partial<LayoutAccount> = {},
): LayoutAccount => ({
  account,
  depth,
  held,
  heldByVictim: held ? { v1: held } : {},
  ...extra,
});
let n = 0;
const move = (
  from: string,
  to: string,
  traced: number,
  cashOut = false,
  amount = traced,
): LayoutTransfer => ({
  txnId: `t${String(++n).padStart(4, '0')}`,
  from,
  to,
  amount,
  traced,
  cashOut,
});
const node = (l: TraceLayout, id: string): LayoutNode => {
  const found = l.nodes.find((x) => x.id === id);
  assert.ok(found, `node ${id}`);
  return found;
};

/** No two nodes share space, and everything is inside the drawing. */
function assertReadable(l: TraceLayout) {
  for (const a of l.nodes) {
    assert.ok(a.x >= 0 && a.y >= 0, `${a.id} inside (top left)`);
    assert.ok(a.x + a.width <= l.width && a.y + a.height <= l.height, `${a.id} inside (bottom right)`);
    for (const b of l.nodes) {
      if (a === b) continue;
      const apart =
        a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      assert.ok(apart, `${a.id} and ${b.id} overlap`);
    }
  }
  const ids = new Set(l.nodes.map((x) => x.id));
  for (const e of l.edges) {
    assert.ok(ids.has(e.from) && ids.has(e.to), `edge ${e.id} joins drawn nodes`);
    assert.ok(e.labelX >= 0 && e.labelX <= l.width && e.labelY >= 0 && e.labelY <= l.height, 'label inside');
    for (const num of e.path.match(/-?\d+(\.\d+)?/g)!.map(Number)) assert.ok(Number.isFinite(num));
  }
}

/** Two victims paying one mule, which splits to two accounts; one cashes out at an ATM, one abroad. */
function mule(): LayoutInput {
  return {
    victimAccounts: ['V-1', 'V-2'],
    accounts: [
      acct('MULE', 1, 10_000, {
        frozen: 10_000,
        institutionId: 'bank-1',
        heldByVictim: { v1: 6_000, v2: 4_000 },
      }),
      acct('H2-A', 2, 5_000, { stopped: 5_000 }),
      acct('H2-B', 2, 0),
    ],
    edges: [
      move('V-1', 'MULE', 30_000),
      move('V-2', 'MULE', 20_000),
      move('MULE', 'H2-A', 25_000),
      move('MULE', 'H2-B', 15_000),
      move('H2-A', 'cash:atm', 20_000, true),
      move('H2-B', 'GB00FOREIGN', 15_000, true),
    ],
  };
}

test('columns by hop: victims at the left, then hop 1 and 2, cash-outs beside their account', () => {
  const l = layoutTrace(mule());
  assert.equal(node(l, 'V-1').kind, 'victim');
  assert.equal(node(l, 'V-1').column, 0);
  assert.equal(node(l, 'MULE').column, 1);
  assert.equal(node(l, 'H2-A').column, 2);
  assert.equal(node(l, 'H2-B').column, 2);
  const cash = l.nodes.filter((x) => x.kind === 'cashOut');
  assert.deepEqual(cash.map((c) => [c.channel, c.column, c.received]).sort(), [
    ['abroad', 3, 15_000],
    ['atm', 3, 20_000],
  ]);
  assert.equal(cash.find((c) => c.channel === 'abroad')!.account, 'GB00FOREIGN');
  assert.equal(cash.find((c) => c.channel === 'atm')!.account, 'H2-A', 'cash taken from H2-A');
  assert.deepEqual(
    l.columns.map((c) => c.depth),
    [0, 1, 2, 3],
  );
  assert.ok(node(l, 'MULE').x > node(l, 'V-1').x && node(l, 'H2-A').x > node(l, 'MULE').x);
  // The amounts on the nodes come through.
  assert.equal(node(l, 'MULE').frozen, 10_000);
  assert.equal(node(l, 'H2-A').stopped, 5_000);
  assert.equal(node(l, 'MULE').institutionId, 'bank-1');
  assert.equal(node(l, 'MULE').received, 50_000);
  assertReadable(l);
});

test('every traced transfer is an edge with its amount; parallel transfers are drawn once, summed', () => {
  const input = mule();
  input.edges = [...input.edges, move('MULE', 'H2-A', 1_000, false, 3_000), move('MULE', 'H2-B', 0)];
  const l = layoutTrace(input);
  const e = l.edges.find((x) => x.from === 'MULE' && x.to === 'H2-A')!;
  assert.equal(e.traced, 26_000);
  assert.equal(e.amount, 28_000);
  assert.equal(e.txnIds.length, 2);
  // A transfer that carried no traced money is not drawn.
  assert.equal(l.edges.find((x) => x.from === 'MULE' && x.to === 'H2-B')!.txnIds.length, 1);
  assert.equal(l.edges.length, 6);
  assert.ok(l.edges.every((x) => !x.back));
  assert.equal(l.edges.filter((x) => x.cashOut).length, 2);
});

test('a sender the trace does not list is a victim account; holdings-only accounts are still drawn', () => {
  const l = layoutTrace({
    accounts: [acct('A', 1, 500), acct('QUIET', 1, 900)],
    edges: [move('PAYER', 'A', 500)],
  });
  assert.equal(node(l, 'PAYER').kind, 'victim');
  assert.equal(node(l, 'PAYER').column, 0);
  assert.equal(node(l, 'QUIET').column, 1);
  assertReadable(l);
});

test('rows follow the senders: two parallel chains do not cross', () => {
  const input: LayoutInput = {
    victimAccounts: ['V-A', 'V-B'],
    accounts: [acct('Z-1', 1), acct('A-1', 1), acct('A-2', 2, 100), acct('Z-2', 2, 100)],
    // V-A's chain goes through the Z accounts: by name alone they would sort after the A ones.
    edges: [
      move('V-A', 'Z-1', 100),
      move('V-B', 'A-1', 100),
      move('Z-1', 'Z-2', 100),
      move('A-1', 'A-2', 100),
    ],
  };
  const l = layoutTrace(input);
  assert.ok(node(l, 'V-A').y < node(l, 'V-B').y);
  assert.ok(node(l, 'Z-1').y < node(l, 'A-1').y, 'hop 1 follows the victims');
  assert.ok(node(l, 'Z-2').y < node(l, 'A-2').y, 'hop 2 follows hop 1');
});

test('the same picture whatever the order of accounts and transfers', () => {
  const a = mule();
  const b: LayoutInput = {
    victimAccounts: [...a.victimAccounts!].reverse(),
    accounts: [...a.accounts].reverse(),
    edges: [...a.edges].reverse(),
  };
  assert.deepEqual(layoutTrace(b), layoutTrace(a));
});

test('money coming back to an earlier account is a loop below the nodes, inside the drawing', () => {
  const l = layoutTrace({
    victimAccounts: ['V'],
    accounts: [acct('A', 1, 100), acct('B', 2, 100)],
    edges: [move('V', 'A', 300), move('A', 'B', 200), move('B', 'A', 100)],
  });
  const back = l.edges.find((e) => e.from === 'B' && e.to === 'A')!;
  assert.equal(back.back, true);
  assert.ok(back.labelY > Math.max(node(l, 'A').y, node(l, 'B').y) + node(l, 'A').height);
  assert.equal(l.edges.find((e) => e.from === 'A')!.back, false);
  assertReadable(l);
});

test('a 50-account trace stays readable: no overlaps, bounded width, a scrollable height', () => {
  const accounts: LayoutAccount[] = [];
  const edges: LayoutTransfer[] = [];
  const victims = ['V0', 'V1', 'V2'];
  let prev = victims;
  for (let depth = 1; depth <= 5; depth++) {
    const layer = Array.from({ length: 10 }, (_, i) => `D${depth}-${i}`);
    layer.forEach((a, i) => {
      accounts.push(acct(a, depth, (i % 3) * 10_000, { frozen: i === 0 ? 5_000 : 0 }));
      edges.push(move(prev[i % prev.length]!, a, 10_000 + i));
      if (i % 4 === 0) edges.push(move(prev[(i + 1) % prev.length]!, a, 500));
    });
    edges.push(move(layer[9]!, 'cash:counter', 700, true));
    prev = layer;
  }
  const l = layoutTrace({ victimAccounts: victims, accounts, edges });
  assert.equal(l.nodes.filter((x) => x.kind === 'account').length, 50);
  assert.equal(l.nodes.filter((x) => x.kind === 'cashOut').length, 5);
  assert.equal(l.columns.length, 7, 'victims, hops 1 to 5, and the last hop’s cash-out');
  assert.ok(l.width < 2200, `width ${l.width}`);
  assert.ok(l.height < 1200, `height ${l.height}`);
  assertReadable(l);
});

test('holdings per victim: by label, largest first, empty ones left out', () => {
  const rows = holdingsByVictim({ heldByVictim: { v1: 300, v2: 700, v3: 0, other: 50 } }, [
    { id: 'v1', label: '张*' },
    { id: 'v2', label: '李*' },
  ]);
  assert.deepEqual(rows, [
    { victim: '李*', amount: 700 },
    { victim: '张*', amount: 300 },
    { victim: 'other', amount: 50 },
  ]);
});

test('an empty trace is an empty drawing, not an error', () => {
  const l = layoutTrace({ accounts: [], edges: [] });
  assert.deepEqual(l.nodes, []);
  assert.deepEqual(l.edges, []);
  assert.ok(l.width >= 0 && l.height > 0);
});

test('the amounts of a fan-out sit towards its targets, one above the other, not stacked', () => {
  const targets = Array.from({ length: 6 }, (_, i) => `T${i}`);
  const l = layoutTrace({
    victimAccounts: ['V'],
    accounts: [acct('M', 1), ...targets.map((a) => acct(a, 2, 100))],
    edges: [move('V', 'M', 600), ...targets.map((a) => move('M', a, 100))],
  });
  const ys = l.edges
    .filter((e) => e.from === 'M')
    .map((e) => e.labelY)
    .sort((a, b) => a - b);
  for (let i = 1; i < ys.length; i++) assert.ok(ys[i]! - ys[i - 1]! >= 14, `labels ${ys.join(', ')} overlap`);
  const fan = l.edges.find((e) => e.from === 'M')!;
  assert.ok(fan.labelX > (node(l, 'M').x + node(l, 'M').width + node(l, 'T0').x) / 2, 'towards the targets');
});

test('a case opened from a report names the report, so report-to-stop time is counted', () => {
  const victim = {
    name: '',
    idNumber: '',
    phone: '',
    transfers: [
      {
        txnId: '',
        payerAccount: '6222020200112233445',
        payeeAccount: '6217000000000000001',
        amount: '52000.00',
        paidAt: '2026-11-30T09:15',
      },
    ],
  };
  const fromReport = caseInput([victim], '0b9f2a4e-7c1d-4e55-9a43-2f7d1c0b8e11');
  assert.ok(fromReport.ok);
  assert.equal(fromReport.input.source, 'report');
  assert.equal(fromReport.input.reportId, '0b9f2a4e-7c1d-4e55-9a43-2f7d1c0b8e11');
  assert.equal(fromReport.input.victims[0]!.transfers[0]!.amount, 5_200_000);
  const byHand = caseInput([victim]);
  assert.ok(byHand.ok);
  assert.equal(byHand.input.source, 'analyst');
  assert.equal(byHand.input.reportId, undefined);
  assert.deepEqual(caseInput([{ ...victim, transfers: [{ ...victim.transfers[0]!, payeeAccount: ' ' }] }]), {
    ok: false,
    problem: 'funds.formTransfer',
  });
});
