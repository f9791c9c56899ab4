import { request } from '../../api.ts';
import type {
  CursorList,
  FundCase,
  FundCaseStatus,
  FundCaseSummary,
  FundReturn,
  FundStatistics,
  Freeze,
  NewFundCase,
  StopPayment,
} from './types.ts';

const seg = encodeURIComponent;

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A list as the server pages it: `next` or `nextCursor` (null: the last page). */
async function list<T>(path: string): Promise<CursorList<T>> {
  const page = await request<{ items: T[]; next?: string | null; nextCursor?: string | null }>('GET', path);
  return { items: page.items, next: page.next ?? page.nextCursor ?? null };
}

/** The funds routes (docs/api.md): the centre's cases and the banks' inbox. */
export const fundsApi = {
  listCases: (opts: { status?: FundCaseStatus | ''; cursor?: string } = {}) =>
    list<FundCaseSummary>(`/v1/fund-cases${query(opts)}`),
  getCase: (id: string) => request<FundCase>('GET', `/v1/fund-cases/${seg(id)}`),
  openCase: (input: NewFundCase) =>
    request<{ id: string; reference: string }>('POST', '/v1/fund-cases', input),
  retrace: (id: string, rule?: string) =>
    request<unknown>('POST', `/v1/fund-cases/${seg(id)}/trace`, rule ? { rule } : {}),
  sendStopPayment: (caseId: string, input: { account: string; amount: number; minutes?: number }) =>
    request<StopPayment>('POST', `/v1/fund-cases/${seg(caseId)}/stop-payments`, input),
  closeCase: (id: string, note: string) =>
    request<FundCase & { instructed: FundReturn[] }>('POST', `/v1/fund-cases/${seg(id)}/close`, { note }),
  statistics: (days = 30) => request<FundStatistics>('GET', `/v1/funds/statistics${query({ days })}`),

  renewStopPayment: (id: string) => request<StopPayment>('POST', `/v1/stop-payments/${seg(id)}/renew`, {}),
  convertStopPayment: (id: string) => request<unknown>('POST', `/v1/stop-payments/${seg(id)}/convert`, {}),
  releaseStopPayment: (id: string) =>
    request<StopPayment>('POST', `/v1/stop-payments/${seg(id)}/release`, {}),
  releaseFreeze: (id: string) => request<Freeze>('POST', `/v1/freezes/${seg(id)}/release`, {}),

  stopPaymentInbox: (status?: string) => list<StopPayment>(`/v1/stop-payments/inbox${query({ status })}`),
  freezeInbox: (status?: string) => list<Freeze>(`/v1/freezes/inbox${query({ status })}`),
  returnInbox: () => list<FundReturn>('/v1/returns/inbox'),
  /** `kind`: `stop-payments` or `freezes`; a late acknowledgement answers 200 with `lateAck: true`. */
  acknowledge: (kind: RequestKind, id: string) =>
    request<StopPayment | Freeze>('POST', `/v1/${kind}/${seg(id)}/acknowledge`, {}),
  execute: (kind: RequestKind, id: string, amount: number, note?: string) =>
    request<StopPayment | Freeze>(
      'POST',
      `/v1/${kind}/${seg(id)}/execute`,
      kind === 'stop-payments'
        ? { amountStopped: amount, ...(note ? { note } : {}) }
        : { amountFrozen: amount, ...(note ? { note } : {}) },
    ),
  refuse: (kind: RequestKind, id: string, reason: string) =>
    request<StopPayment | Freeze>('POST', `/v1/${kind}/${seg(id)}/refuse`, { reason }),
  executeReturn: (id: string) => request<FundReturn>('POST', `/v1/returns/${seg(id)}/execute`, {}),
};

export type RequestKind = 'stop-payments' | 'freezes';
