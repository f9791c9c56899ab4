/**
 * The funds API as the console reads it (docs/funds.md, the fund case routes): fund cases, their
 * trace, stop-payments, freezes and returns. Amounts are in minor units (fen), times ISO strings.
 */

export const FUND_CASE_STATUSES = ['open', 'closed'] as const;
export type FundCaseStatus = (typeof FUND_CASE_STATUSES)[number];

export type FundCaseSource = 'report' | 'analyst' | 'warning';

export interface FundVictim {
  id: string;
  /** masked name */
  label: string;
  lossAmount: number;
  /** masked */
  idNumber?: string | null;
  /** masked */
  phone?: string | null;
}

export interface FundTransfer {
  txnId: string;
  victimId: string;
  payerAccount: string;
  payeeAccount: string;
  amount: number;
  paidAt: string;
  institutionId: string | null;
  institutionName: string | null;
}

export type ByVictim = Record<string, number>;

export interface TraceAccount {
  account: string;
  /** hops from the victims' transfers: 1 for the account a victim paid */
  depth: number;
  /** traced money it still holds */
  held: number;
  heldByVictim: ByVictim;
  institutionId: string | null;
  institutionName?: string | null;
  frozen: number;
  stopped: number;
}

export interface TraceEdge {
  txnId: string;
  from: string;
  /** the payee; for cash taken out, `cash:<channel>` */
  to: string;
  /** the whole transfer */
  amount: number;
  /** the traced money it carried */
  traced: number;
  cashOut: boolean;
  ts: string | number;
}

export interface TraceProposal {
  account: string;
  institutionId: string | null;
  institutionName?: string | null;
  amount: number;
}

export interface CaseTrace {
  tracedAt: string;
  rule: string;
  accounts: TraceAccount[];
  edges: TraceEdge[];
  totals: Partial<Record<'stolen' | 'held' | 'heldBeyondHops' | 'cashedOut', number>>;
  proposals: TraceProposal[];
}

export interface FundTotals {
  stopped: number;
  frozen: number;
  returned: number;
  traced: number;
}

export interface RequestHistoryEntry {
  at: string;
  action: string;
  /** the status after the change */
  status: string;
  actor: string;
  actorKind?: string;
  organisationId?: string | null;
  note: string | null;
}

export interface Delivery {
  pushed: boolean;
  attempts: number;
  lastError: string | null;
}

export const STOP_PAYMENT_STATUSES = [
  'sent',
  'acknowledged',
  'executed',
  'refused',
  'expired',
  'released',
  'converted',
] as const;
export type StopPaymentStatus = (typeof STOP_PAYMENT_STATUSES)[number];

export interface StopPayment {
  id: string;
  reference: string;
  caseId: string;
  caseReference?: string;
  institutionId: string;
  institutionName: string;
  account: string;
  amountRequested: number;
  amountStopped: number | null;
  legalBasis: string;
  reason: string;
  requestedAt?: string;
  createdAt?: string;
  ackDeadlineAt: string;
  status: StopPaymentStatus;
  escalated: boolean;
  lateAck: boolean;
  renewals: number;
  maxRenewals: number;
  expiresAt: string | null;
  delivery?: Delivery;
  history?: RequestHistoryEntry[];
}

export const FREEZE_STATUSES = [
  'sent',
  'acknowledged',
  'executed',
  'refused',
  'released',
  'returned',
] as const;
export type FreezeStatus = (typeof FREEZE_STATUSES)[number];

export interface Freeze {
  id: string;
  reference: string;
  caseId: string;
  caseReference?: string;
  stopPaymentId: string | null;
  institutionId: string;
  institutionName?: string;
  account: string;
  amountRequested: number;
  amountFrozen: number | null;
  status: FreezeStatus;
  requestedAt?: string;
  createdAt?: string;
  ackDeadlineAt?: string;
  lateAck?: boolean;
  expiresAt: string | null;
  delivery?: Delivery;
  history?: RequestHistoryEntry[];
}

export interface FundReturn {
  id: string;
  caseId: string;
  caseReference?: string;
  freezeId: string;
  victimId: string;
  victimLabel?: string;
  institutionId?: string;
  institutionName?: string;
  account?: string;
  amount: number;
  status: 'instructed' | 'executed';
  createdAt?: string;
}

export interface FundCaseSummary {
  id: string;
  reference: string;
  status: FundCaseStatus;
  source: FundCaseSource;
  victimCount?: number;
  victims?: FundVictim[];
  lossTotal: number;
  openedAt: string;
  closedAt: string | null;
  totals: FundTotals;
}

export interface FundCase extends FundCaseSummary {
  reportId: string | null;
  warningId: string | null;
  victims: FundVictim[];
  transfers: FundTransfer[];
  openedBy: string;
  closeNote: string | null;
  trace: CaseTrace | null;
  history?: RequestHistoryEntry[];
  stopPayments?: StopPayment[];
  freezes?: Freeze[];
  returns?: FundReturn[];
  /** While open: what closing now would return, computed by the server as the close will. */
  returnsOnClose?: PlannedReturn[];
}

export interface PlannedReturn {
  freezeId: string;
  account: string;
  victimId: string;
  amount: number;
}

export interface FundStatistics {
  days?: number;
  stopped: number;
  frozen: number;
  returned: number;
  cases: number;
  medianMinutesReportToFirstStop: number | null;
}

/** What the "open a case" form sends (POST /v1/fund-cases). */
export interface NewFundCase {
  source: FundCaseSource;
  reportId?: string;
  warningId?: string;
  victims: {
    name?: string;
    idNumber?: string;
    phone?: string;
    transfers: {
      txnId?: string;
      payerAccount: string;
      payeeAccount: string;
      amount: number;
      paidAt: string;
    }[];
  }[];
}

export interface CursorList<T> {
  items: T[];
  next: string | null;
}
