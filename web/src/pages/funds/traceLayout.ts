/**
 * The layout of a fund case's trace as a graph, a pure function of the trace (no DOM): columns by
 * hop depth (the victims' accounts at the left, then hop 1, 2, …), one node per account holding or
 * passing on traced money, one edge per pair of accounts (parallel transfers summed), and every
 * cash-out as a terminal node of its own beside the account it left from, so the money's way out
 * reads left to right. Rows are ordered by the weighted mean position of each node's senders
 * (the barycentre heuristic, one sweep left to right), which keeps most edges from crossing
 * without an optimiser; the result does not depend on the order of the input.
 */

export interface LayoutAccount {
  account: string;
  depth: number;
  held: number;
  heldByVictim: Record<string, number>;
  institutionId?: string | null;
  institutionName?: string | null;
  frozen?: number;
  stopped?: number;
}

export interface LayoutTransfer {
  txnId: string;
  from: string;
  /** the payee; `cash:<channel>` for cash taken out */
  to: string;
  amount: number;
  traced: number;
  cashOut: boolean;
}

export interface LayoutInput {
  accounts: readonly LayoutAccount[];
  edges: readonly LayoutTransfer[];
  /** the victims' paying accounts (shown at the left even when no edge leaves them) */
  victimAccounts?: readonly string[];
}

export type NodeKind = 'victim' | 'account' | 'cashOut';
export type CashOutChannel = 'atm' | 'counter' | 'abroad' | string;

export interface LayoutNode {
  id: string;
  kind: NodeKind;
  /** the account; for cash taken out, the account it was taken from */
  account: string;
  /** cash-outs: where the money left (atm, counter, abroad) */
  channel: CashOutChannel | null;
  depth: number;
  column: number;
  row: number;
  x: number;
  y: number;
  width: number;
  height: number;
  held: number;
  frozen: number;
  stopped: number;
  heldByVictim: Record<string, number>;
  institutionId: string | null;
  institutionName: string | null;
  /** traced money that came in (for cash-outs: what left there) */
  received: number;
}

export interface LayoutEdge {
  id: string;
  from: string;
  to: string;
  /** the traced money the transfers carried, summed */
  traced: number;
  /** the transfers' whole amounts, summed */
  amount: number;
  txnIds: string[];
  cashOut: boolean;
  /** drawn backwards or within a column (money coming back): a loop below the nodes */
  back: boolean;
  /** SVG path data */
  path: string;
  labelX: number;
  labelY: number;
}

export interface LayoutColumn {
  column: number;
  depth: number;
  x: number;
}

export interface TraceLayout {
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  columns: LayoutColumn[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 176;
export const NODE_HEIGHT = 60;
export const COLUMN_GAP = 116;
export const ROW_GAP = 18;
export const PADDING = 12;
/** room above the first row for the columns' headings */
export const HEADER = 28;
/** how far below the nodes a backward edge loops */
export const LOOP_DEPTH = 48;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `cash:atm` → atm; a transfer abroad → abroad. */
export function cashOutChannel(edge: Pick<LayoutTransfer, 'to' | 'cashOut'>): CashOutChannel {
  return edge.to.startsWith('cash:') ? edge.to.slice(5) || 'unknown' : 'abroad';
}

export function layoutTrace(input: LayoutInput): TraceLayout {
  const byAccount = new Map(input.accounts.map((a) => [a.account, a]));
  const nodes = new Map<string, LayoutNode>();
  const blank = (id: string, kind: NodeKind, account: string, depth: number): LayoutNode => ({
    id,
    kind,
    account,
    channel: null,
    depth,
    column: 0,
    row: 0,
    x: 0,
    y: 0,
    width: NODE_WIDTH,
    height: NODE_HEIGHT,
    held: 0,
    frozen: 0,
    stopped: 0,
    heldByVictim: {},
    institutionId: null,
    institutionName: null,
    received: 0,
  });

  for (const a of input.accounts) {
    nodes.set(a.account, {
      ...blank(a.account, 'account', a.account, a.depth),
      held: a.held,
      frozen: a.frozen ?? 0,
      stopped: a.stopped ?? 0,
      heldByVictim: { ...a.heldByVictim },
      institutionId: a.institutionId ?? null,
      institutionName: a.institutionName ?? null,
    });
  }
  const victim = (account: string) => {
    if (!nodes.has(account)) nodes.set(account, blank(account, 'victim', account, 0));
  };
  for (const v of input.victimAccounts ?? []) victim(v);

  // Edges between the same two nodes are drawn once, with their traced money summed.
  const merged = new Map<string, Omit<LayoutEdge, 'back' | 'path' | 'labelX' | 'labelY'>>();
  const transfers = input.edges
    .filter((e) => e.traced > 0)
    .slice()
    .sort((a, b) => cmp(a.txnId, b.txnId));
  for (const e of transfers) {
    // A sender the trace does not list as reached is a victim's account (the starting transfer).
    if (!byAccount.has(e.from)) victim(e.from);
    let to = e.to;
    if (e.cashOut) {
      const channel = cashOutChannel(e);
      to = `cashout:${channel}:${e.to}:${e.from}`;
      if (!nodes.has(to)) {
        const from = nodes.get(e.from)!;
        nodes.set(to, {
          ...blank(to, 'cashOut', channel === 'abroad' ? e.to : e.from, from.depth + 1),
          channel,
        });
      }
    } else if (!nodes.has(to)) {
      // Reached but not listed (the trace's accounts are authoritative; keep the edge drawable).
      nodes.set(to, blank(to, 'account', to, (nodes.get(e.from)?.depth ?? 0) + 1));
    }
    nodes.get(to)!.received += e.traced;
    const key = `${e.from}\u0000${to}`;
    const m = merged.get(key);
    if (m) {
      m.traced += e.traced;
      m.amount += e.amount;
      m.txnIds.push(e.txnId);
    } else {
      merged.set(key, {
        id: key,
        from: e.from,
        to,
        traced: e.traced,
        amount: e.amount,
        txnIds: [e.txnId],
        cashOut: e.cashOut,
      });
    }
  }

  // Columns: the depths in use, left to right, without empty columns between them.
  const depths = [...new Set([...nodes.values()].map((n) => n.depth))].sort((a, b) => a - b);
  const columnOf = new Map(depths.map((d, i) => [d, i]));
  for (const n of nodes.values()) n.column = columnOf.get(n.depth)!;
  const columns: LayoutNode[][] = depths.map(() => []);
  for (const n of nodes.values()) columns[n.column]!.push(n);

  const incoming = new Map<string, { from: string; weight: number }[]>();
  for (const e of merged.values()) {
    const list = incoming.get(e.to) ?? [];
    list.push({ from: e.from, weight: e.traced });
    incoming.set(e.to, list);
  }

  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const pitch = NODE_HEIGHT + ROW_GAP;
  const centreY = (n: LayoutNode) => n.y + NODE_HEIGHT / 2;
  const place = (col: LayoutNode[], column: number) => {
    // Shorter columns are centred against the tallest.
    const offset = ((tallest - col.length) * pitch) / 2;
    col.forEach((n, row) => {
      n.row = row;
      n.x = PADDING + column * (NODE_WIDTH + COLUMN_GAP);
      n.y = PADDING + HEADER + offset + row * pitch;
    });
  };

  columns.forEach((col, c) => {
    const key = new Map<string, number>();
    for (const n of col) {
      // Senders in earlier columns, weighted by the traced money each passed on.
      const senders = (incoming.get(n.id) ?? []).filter((s) => nodes.get(s.from)!.column < c);
      const weight = senders.reduce((s, x) => s + x.weight, 0);
      key.set(
        n.id,
        weight > 0
          ? senders.reduce((s, x) => s + centreY(nodes.get(x.from)!) * x.weight, 0) / weight
          : Number.POSITIVE_INFINITY,
      );
    }
    col.sort(
      (a, b) =>
        key.get(a.id)! - key.get(b.id)! ||
        // cash-outs after the accounts they sit beside, larger holdings first
        (a.kind === 'cashOut' ? 1 : 0) - (b.kind === 'cashOut' ? 1 : 0) ||
        b.held - a.held ||
        b.received - a.received ||
        cmp(a.id, b.id),
    );
    place(col, c);
  });

  const bodyBottom = PADDING + HEADER + tallest * pitch - ROW_GAP;
  // Labels sit towards the end where edges spread out (a fan-out's targets, a fan-in's sources),
  // so the amounts of a fan do not stack on one another.
  const outDegree = new Map<string, number>();
  const inDegree = new Map<string, number>();
  for (const e of merged.values()) {
    outDegree.set(e.from, (outDegree.get(e.from) ?? 0) + 1);
    inDegree.set(e.to, (inDegree.get(e.to) ?? 0) + 1);
  }
  const edges: LayoutEdge[] = [...merged.values()]
    .sort((a, b) => cmp(a.id, b.id))
    .map((e) => {
      const s = nodes.get(e.from)!;
      const t = nodes.get(e.to)!;
      if (t.column > s.column) {
        const x1 = s.x + s.width;
        const y1 = centreY(s);
        const x2 = t.x;
        const y2 = centreY(t);
        const mx = (x1 + x2) / 2;
        const fanOut = outDegree.get(e.from)!;
        const fanIn = inDegree.get(e.to)!;
        const at = fanOut > fanIn ? 0.8 : fanIn > fanOut ? 0.2 : 0.5;
        return {
          ...e,
          back: false,
          path: `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}`,
          ...onCurve(at, x1, y1, mx, x2, y2),
        };
      }
      // Money coming back (or within a column): a loop under the two nodes, bottom to bottom.
      const x1 = s.x + s.width / 2 + 12;
      const y1 = s.y + s.height;
      const x2 = t.x + t.width / 2 - 12;
      const y2 = t.y + t.height;
      const low = Math.max(y1, y2) + LOOP_DEPTH;
      return {
        ...e,
        back: true,
        path: `M ${x1} ${y1} C ${x1} ${low}, ${x2} ${low}, ${x2} ${y2}`,
        labelX: (x1 + x2) / 2,
        labelY: (y1 + y2) / 8 + (low * 3) / 4,
      };
    });

  const nodeList = [...nodes.values()].sort((a, b) => a.column - b.column || a.row - b.row);
  return {
    nodes: nodeList,
    edges,
    columns: depths.map((depth, column) => ({
      column,
      depth,
      x: PADDING + column * (NODE_WIDTH + COLUMN_GAP),
    })),
    width: PADDING * 2 + depths.length * NODE_WIDTH + Math.max(0, depths.length - 1) * COLUMN_GAP,
    height: bodyBottom + LOOP_DEPTH + PADDING,
  };
}

/** The point at `t` of the curve from (x1, y1) to (x2, y2) with both control points at x = mx. */
function onCurve(t: number, x1: number, y1: number, mx: number, x2: number, y2: number) {
  const a = (1 - t) ** 3;
  const b = 3 * (1 - t) ** 2 * t;
  const c = 3 * (1 - t) * t ** 2;
  const d = t ** 3;
  return { labelX: a * x1 + (b + c) * mx + d * x2, labelY: (a + b) * y1 + (c + d) * y2 };
}

/** A node's holdings per victim, largest first, named by the victims' labels where known. */
export function holdingsByVictim(
  node: Pick<LayoutNode, 'heldByVictim'>,
  victims: readonly { id: string; label: string }[],
): { victim: string; amount: number }[] {
  const label = new Map(victims.map((v) => [v.id, v.label]));
  return Object.entries(node.heldByVictim)
    .filter(([, amount]) => amount > 0)
    .map(([id, amount]) => ({ victim: label.get(id) ?? id, amount }))
    .sort((a, b) => b.amount - a.amount || cmp(a.victim, b.victim));
}
