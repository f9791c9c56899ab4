/** The five kinds of organisation that take part, and the roles their users hold. */
export const ORGANISATION_KINDS = [
  'anti_fraud_centre',
  'telecom_operator',
  'bank', // bank or payment institution
  'internet_service',
  'public',
] as const;
export type OrganisationKind = (typeof ORGANISATION_KINDS)[number];

export const ROLES = ['analyst', 'supervisor', 'auditor', 'institution_operator', 'administrator'] as const;
export type Role = (typeof ROLES)[number];

/** Who is making a request: a signed-in user (console session) or an institution's API key. */
export interface Principal {
  kind: 'user' | 'api_key';
  /** user id or api key id */
  id: string;
  /** username, or the API key's name; for logs and audit records */
  name: string;
  organisationId: string;
  organisationKind: OrganisationKind;
  roles: readonly Role[];
  /** API keys only: what the key may do, e.g. `decisions:write`; users have none. */
  scopes: readonly string[];
}
