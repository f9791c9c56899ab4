import { AppError } from '../core/errors.ts';
import type { OrganisationKind, Principal, Role } from '../identity/model.ts';

/**
 * Purposes and the access policy for personal data (docs/privacy.md keeps the same tables).
 *
 * A read states its purpose as `kind` or `kind:reference`, e.g. `appeal:APL-2026-0001`. The
 * purpose kind decides whether clear values may be shown at all; the reader's organisation
 * kind and roles decide whether this reader may have them, and which persons they may see.
 */

export const PURPOSES = {
  case: { ref: 'required', description: 'a fraud case under investigation' },
  appeal: { ref: 'required', description: 'an appeal against a measure (listing, restriction, freeze)' },
  fund_case: { ref: 'required', description: 'a case of stopping or recovering payments' },
  warning: { ref: 'required', description: 'a warning to a likely victim' },
  instruction: { ref: 'required', description: 'an instruction to an operator or bank (restrict, freeze…)' },
  report: { ref: 'required', description: 'a fraud report being handled' },
  verification: { ref: 'required', description: "an institution verifying its own customer's identity" },
  statistics: { ref: 'optional', description: 'statistics and reporting' },
  audit: { ref: 'optional', description: 'an audit of the platform or of a reader' },
  search: { ref: 'optional', description: 'finding a person in the (always masked) list' },
} as const satisfies Record<string, { ref: 'required' | 'optional'; description: string }>;

export type PurposeKind = keyof typeof PURPOSES;
export const PURPOSE_KINDS = Object.keys(PURPOSES) as PurposeKind[];

export interface Purpose {
  kind: PurposeKind;
  ref: string | null;
}

const PURPOSE_RE = /^([a-z_]+)(?::([A-Za-z0-9][A-Za-z0-9._:/#-]{0,127}))?$/;

export const purposeRequired = (detail: string) =>
  new AppError(400, 'purpose_required', detail, { purposes: PURPOSE_KINDS });

/** Parses `kind[:reference]`; 400 `purpose_required` when missing, unknown or malformed. */
export function parsePurpose(purpose: string | null | undefined): Purpose {
  if (purpose === undefined || purpose === null || purpose.trim() === '') {
    throw purposeRequired('reading personal data needs a purpose, e.g. case:<id> or appeal:<id>');
  }
  const m = PURPOSE_RE.exec(purpose.trim());
  const kind = m?.[1];
  if (!m || !kind || !Object.hasOwn(PURPOSES, kind)) {
    throw purposeRequired(
      `the purpose must be one of ${PURPOSE_KINDS.join(', ')}, optionally followed by :<reference>`,
    );
  }
  const ref = m[2] ?? null;
  const k = kind as PurposeKind;
  if (PURPOSES[k].ref === 'required' && !ref) {
    throw purposeRequired(`a ${k} purpose needs a reference, e.g. ${k}:<id>`);
  }
  return { kind: k, ref };
}

export function formatPurpose(p: Purpose): string {
  return p.ref ? `${p.kind}:${p.ref}` : p.kind;
}

/** A process of the platform itself (e.g. the warnings worker), not a signed-in user or API key. */
export interface SystemReader {
  kind: 'system';
  name: string;
}

export type Reader = Principal | SystemReader;

/**
 * Which persons a reader sees: all, only those holding a phone card or bank account at the
 * reader's own organisation, or none (every read answers 404: nothing is revealed).
 */
export type PersonScope = 'all' | 'own_customers' | 'none';

export interface PolicyRule {
  orgKinds: readonly OrganisationKind[] | 'system';
  /** Any one of these roles (ignored for the system). */
  roles: readonly Role[];
  persons: Exclude<PersonScope, 'none'>;
  /** Purpose kinds for which this reader gets clear values; for every other purpose, masked. */
  clearFor: readonly PurposeKind[];
}

/**
 * The policy. A reader matching several rules (several roles) gets the union. Readers matching
 * none (internet services, the public) see no person. Lists are always masked, whatever the rule.
 */
export const POLICY: readonly PolicyRule[] = [
  {
    orgKinds: ['anti_fraud_centre'],
    roles: ['analyst', 'supervisor'],
    persons: 'all',
    clearFor: ['case', 'appeal', 'fund_case', 'warning'],
  },
  { orgKinds: ['anti_fraud_centre'], roles: ['auditor', 'administrator'], persons: 'all', clearFor: [] },
  {
    orgKinds: ['telecom_operator', 'bank'],
    roles: ['institution_operator'],
    persons: 'own_customers',
    clearFor: ['verification', 'instruction'],
  },
  {
    orgKinds: ['telecom_operator', 'bank'],
    roles: ['analyst', 'supervisor', 'auditor', 'administrator'],
    persons: 'own_customers',
    clearFor: [],
  },
  // Workers that send warnings or carry out instructions need the clear values they act on.
  { orgKinds: 'system', roles: [], persons: 'all', clearFor: ['warning', 'instruction', 'verification'] },
];

export interface Decision {
  persons: PersonScope;
  clear: boolean;
}

export function decide(reader: Reader, purpose: Purpose, policy: readonly PolicyRule[] = POLICY): Decision {
  const rules = policy.filter((r) =>
    reader.kind === 'system'
      ? r.orgKinds === 'system'
      : r.orgKinds !== 'system' &&
        r.orgKinds.includes(reader.organisationKind) &&
        r.roles.some((role) => reader.roles.includes(role)),
  );
  if (rules.length === 0) return { persons: 'none', clear: false };
  return {
    persons: rules.some((r) => r.persons === 'all') ? 'all' : 'own_customers',
    clear: rules.some((r) => r.clearFor.includes(purpose.kind)),
  };
}
