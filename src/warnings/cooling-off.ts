import type { Decision, DecisionEvent } from '../registry/engine/index.ts';
import { normalizeIndicator } from '../core/normalize/index.ts';
import type { PiiCipher } from '../privacy/crypto.ts';
import { SCAM_CATEGORIES, type ScamCategory } from '../registry/engine/taxonomy.ts';

/**
 * The cooling-off hold a bank may ask for on a transfer decision (docs/warnings.md, "Cooling-off"):
 * when the payer is under an active warning, or the payee is flagged, the transfer waits a while,
 * with the reason shown to the payer. Most victims who are told plainly, and given time, stop.
 *
 * The decision node knows warned persons only by keyed hashes of their accounts and numbers (the
 * `accountKeys`/`msisdnKeys` of the warning events), so no personal data sits in its memory.
 */

export const COOLING_OFF_MINUTES = {
  /** A payer under a high-risk warning: long enough for the warning line to call them back. */
  payer_under_warning_high: 60,
  payer_under_warning: 30,
  payee_flagged: 30,
} as const;

export interface WarnedParty {
  warningId: string;
  reference: string;
  riskLevel: 'high' | 'medium' | 'low';
  scamType: string | null;
}

export interface HoldReason {
  code: 'payer_under_warning' | 'payee_flagged';
  zh: string;
  en: string;
}

export interface CoolingOffHold {
  minutes: number;
  /** ISO time until which the bank holds the transfer. */
  until: string;
  /** The warning behind a payer's hold (for the bank to quote to the warning line). */
  warningReference: string | null;
  /** What to show the payer, most important first. */
  reasons: HoldReason[];
}

/** Warned persons' keys, kept in step with the warning events. */
export class WarnedParties {
  private readonly byKey = new Map<string, WarnedParty>();
  private readonly keysOf = new Map<string, string[]>();

  get size(): number {
    return this.byKey.size;
  }

  /** A warning opened or gained keys: its keys now name it. */
  set(w: WarnedParty, accountKeys: readonly string[], msisdnKeys: readonly string[]): void {
    this.delete(w.warningId);
    const keys = [...accountKeys.map((k) => `a:${k}`), ...msisdnKeys.map((k) => `m:${k}`)];
    for (const k of keys) this.byKey.set(k, w);
    this.keysOf.set(w.warningId, keys);
  }

  /** A warning closed. */
  delete(warningId: string): void {
    for (const k of this.keysOf.get(warningId) ?? []) {
      if (this.byKey.get(k)?.warningId === warningId) this.byKey.delete(k);
    }
    this.keysOf.delete(warningId);
  }

  byAccountKey(key: string): WarnedParty | undefined {
    return this.byKey.get(`a:${key}`);
  }

  byMsisdnKey(key: string): WarnedParty | undefined {
    return this.byKey.get(`m:${key}`);
  }
}

/** The keyed hash of an account as the warning events carry it (its canonical form). */
export function accountKey(pii: Pick<PiiCipher, 'lookupHash'>, canonicalAccount: string): string {
  return pii.lookupHash('bank_account', canonicalAccount);
}

/** The keyed hash of a number as the warning events carry it (E.164). */
export function msisdnKey(pii: Pick<PiiCipher, 'lookupHash'>, e164: string): string {
  return pii.lookupHash('msisdn', e164);
}

/** The warning a transfer's payer is under, if any: by the paying account, else by a payer's number. */
export function warnedPayer(
  event: DecisionEvent,
  warned: WarnedParties,
  pii: Pick<PiiCipher, 'lookupHash'>,
): WarnedParty | null {
  if (event.kind !== 'transfer' || warned.size === 0) return null;
  for (const p of event.parties) {
    if (p.role !== 'payer') continue;
    if (p.kind === 'bank_account' || p.kind === 'payment_account') {
      const n = normalizeIndicator(p.kind, p.value, p.opts);
      const w = n.ok ? warned.byAccountKey(accountKey(pii, n.value)) : undefined;
      if (w) return w;
    } else if (p.kind === 'phone') {
      const n = normalizeIndicator('phone', p.value, p.opts);
      const w = n.ok ? warned.byMsisdnKey(msisdnKey(pii, n.value)) : undefined;
      if (w) return w;
    }
  }
  return null;
}

const categoryName = (c: ScamCategory) => SCAM_CATEGORIES[c] ?? SCAM_CATEGORIES.other;

/**
 * The hold for a transfer decision, or null: a payer under an active warning, or a payee the
 * registry lists (any match on the payee that is not merely allowed). A blocked transfer needs no
 * hold: it does not happen.
 */
export function coolingOffHold(d: Decision, payer: WarnedParty | null, now: number): CoolingOffHold | null {
  if (d.action === 'block') return null;
  const reasons: HoldReason[] = [];
  let minutes = 0;
  if (payer) {
    const m =
      payer.riskLevel === 'high'
        ? COOLING_OFF_MINUTES.payer_under_warning_high
        : COOLING_OFF_MINUTES.payer_under_warning;
    minutes = Math.max(minutes, m);
    reasons.push({
      code: 'payer_under_warning',
      zh: `您正在接受反诈预警（${payer.reference}）。为保护您的资金，本笔转账暂缓${m}分钟执行，期间可以取消。公安机关不会要求转账到“安全账户”，有疑问请拨打96110。`,
      en: `You are under an anti-fraud warning (${payer.reference}). To protect your money this transfer waits ${m} minutes and can be cancelled meanwhile. The police never ask you to move money to a "safe account"; if in doubt call 96110.`,
    });
  }
  const payee = d.matches.find((m) => m.role === 'payee' && m.action !== 'allow');
  if (payee) {
    const m = COOLING_OFF_MINUTES.payee_flagged;
    minutes = Math.max(minutes, m);
    const c = categoryName(payee.category);
    reasons.push({
      code: 'payee_flagged',
      zh: `收款账户涉嫌诈骗（${c.zh}）。本笔转账暂缓${m}分钟执行，期间可以取消；请先核实对方身份。`,
      en: `The receiving account is suspected of fraud (${c.en}). This transfer waits ${m} minutes and can be cancelled meanwhile; check who you are paying first.`,
    });
  }
  if (reasons.length === 0) return null;
  return {
    minutes,
    until: new Date(now + minutes * 60_000).toISOString(),
    warningReference: payer?.reference ?? null,
    reasons,
  };
}
