import type { Decision, DecisionEvent, DecisionParty } from '../registry/engine/index.ts';

/**
 * Warning triggers read off the decisions institutions ask for (docs/warnings.md, "Triggers"): the
 * moment a person is about to pay, open or read something the registry knows as fraud is the moment
 * to warn them. Pure: the decision node collects these off the decision path and hands them to the
 * warnings a second or two later.
 *
 * - `flagged_payee`: a transfer whose payee matched (and was not simply allowed), for the payer;
 * - `fraud_sms`: an SMS from a listed sender whose text the classifier reads as a scam, for the
 *   recipient;
 * - `link_visit`: a visit to a listed link or app, for the `visitor` party when the event names one
 *   (a phone number or an account of the person).
 */
export interface DecisionTrigger {
  kind: 'flagged_payee' | 'fraud_sms' | 'link_visit';
  at: number;
  person: { msisdn?: string; account?: string };
  scamType: string | null;
  summary: string;
  institutionId: string | null;
}

const flaggedAs = (d: Decision, roles: readonly string[]) =>
  d.matches.find((m) => roles.includes(m.role) && m.action !== 'allow');

function personOf(p: DecisionParty | undefined): DecisionTrigger['person'] | null {
  if (!p) return null;
  if (p.kind === 'phone') return { msisdn: p.value };
  if (p.kind === 'bank_account' || p.kind === 'payment_account') return { account: p.value };
  return null;
}

export function triggerOfDecision(event: DecisionEvent, d: Decision, now: number): DecisionTrigger | null {
  if (d.matches.length === 0) return null;
  const at = Math.min(event.occurredAt ?? now, now);
  const institutionId = event.institutionId ?? null;
  const party = (role: string) => event.parties.find((p) => p.role === role && personOf(p) !== null);
  switch (event.kind) {
    case 'transfer': {
      const m = flaggedAs(d, ['payee']);
      const person = personOf(party('payer'));
      if (!m || !person) return null;
      return {
        kind: 'flagged_payee',
        at,
        person,
        scamType: m.category,
        summary: `attempted a transfer to a listed account (${m.category}; decision ${d.action})`,
        institutionId,
      };
    }
    case 'sms': {
      const m = flaggedAs(d, ['sender']);
      const person = personOf(party('recipient'));
      if (!m || !d.content || !person) return null;
      return {
        kind: 'fraud_sms',
        at,
        person,
        scamType: d.content.label,
        summary: `an SMS from a listed number, read as ${d.content.label} (decision ${d.action})`,
        institutionId,
      };
    }
    case 'url_visit': {
      const m = flaggedAs(d, ['url', 'app']);
      const person = personOf(party('visitor'));
      if (!m || !person) return null;
      return {
        kind: 'link_visit',
        at,
        person,
        scamType: m.category,
        summary: `visited a listed ${m.role === 'app' ? 'app' : 'link'} (${m.category}; decision ${d.action})`,
        institutionId,
      };
    }
    default:
      return null;
  }
}
