/**
 * What closing a case would return, as the server computes it (docs/funds.md, returns): each
 * executed freeze's frozen money goes back to the victims whose money the trace found in that
 * account, pro rata to what it attributed to each (`heldByVictim`), in whole fen, the remainder to
 * the largest remainders first (ties by victim id). Shown before the analyst closes; the server's
 * computation is the one instructed.
 */

export interface PreviewFreeze {
  id: string;
  account: string;
  amountFrozen: number | null;
  status: string;
}

export interface PreviewReturn {
  freezeId: string;
  account: string;
  victimId: string;
  amount: number;
}

/** Splits `amount` by `weights` in whole units; the parts add up to `amount`. */
export function proRata(amount: number, weights: Record<string, number>): Record<string, number> {
  const entries = Object.entries(weights).filter(([, w]) => w > 0);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  if (total <= 0 || amount <= 0) return {};
  const parts = entries.map(([id, w]) => {
    const exact = (amount * w) / total;
    return { id, whole: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = amount - parts.reduce((s, p) => s + p.whole, 0);
  for (const p of [...parts].sort((a, b) => b.rest - a.rest || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (left <= 0) break;
    p.whole += 1;
    left -= 1;
  }
  return Object.fromEntries(parts.filter((p) => p.whole > 0).map((p) => [p.id, p.whole]));
}

export function returnsPreview(
  freezes: readonly PreviewFreeze[],
  accounts: readonly { account: string; heldByVictim: Record<string, number> }[],
): PreviewReturn[] {
  const held = new Map(accounts.map((a) => [a.account, a.heldByVictim]));
  const out: PreviewReturn[] = [];
  for (const f of freezes) {
    if (f.status !== 'executed' || !f.amountFrozen) continue;
    const split = proRata(f.amountFrozen, held.get(f.account) ?? {});
    for (const [victimId, amount] of Object.entries(split).sort(([a], [b]) => (a < b ? -1 : 1)))
      out.push({ freezeId: f.id, account: f.account, victimId, amount });
  }
  return out;
}
