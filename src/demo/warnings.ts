import type { Services } from '../api/types.ts';
import { SYSTEM } from '../core/audit.ts';
import { demoPrincipal } from './principal.ts';
import { intakeTrigger, recordAttempt, recordOutcome } from '../warnings/service.ts';

/**
 * The warning queue of the demo world (docs/warnings.md): 黄强, 74, on a 31-minute call from a
 * listed "police" number and now trying to pay a flagged account (high risk, the call due in
 * 15 min); 赵敏, 16, on a fake game-trading page asking for an "unfreezing fee" (medium); and
 * 徐丽, 60, whom the centre reached yesterday and dissuaded from a pension scheme (closed).
 */
export async function seedWarnings(s: Services, org: Record<string, string>): Promise<number> {
  const now = Date.now();
  const min = 60_000;
  const bank = await name(s, org.bank!);
  const mobile = await name(s, org.mobile!);
  const internet = await name(s, org.internet!);
  // 黄强 (person 7): his first card.
  await intakeTrigger(
    s,
    SYSTEM,
    {
      kind: 'fraud_call',
      at: new Date(now - 12 * min).toISOString(),
      person: { msisdn: '+8613810000700' },
      scamType: 'impersonate_police',
      summary: '31-minute call from a listed number (+86 170 **** 5678, impersonating police)',
    },
    { source: mobile, organisationId: org.mobile! },
    { now: now - 12 * min },
  );
  await intakeTrigger(
    s,
    SYSTEM,
    {
      kind: 'flagged_payee',
      at: new Date(now - 2 * min).toISOString(),
      person: { msisdn: '+8613810000700' },
      amountAtRisk: 5_000_000,
      summary: 'mobile banking transfer of 50,000.00 to a flagged account, held for the warning',
    },
    { source: bank, organisationId: org.bank! },
    { now: now - 2 * min },
  );
  // 赵敏 (person 6): a minor on a game-trading scam page.
  await intakeTrigger(
    s,
    SYSTEM,
    {
      kind: 'link_visit',
      at: new Date(now - 20 * min).toISOString(),
      person: { msisdn: '+8613810000600' },
      scamType: 'game_trading',
      amountAtRisk: 80_000,
      summary: 'opened a fake game-account trading page asking for an "unfreezing fee"',
    },
    { source: internet, organisationId: org.internet! },
    { now: now - 20 * min },
  );
  // 徐丽 (person 10): yesterday's warning, answered and dissuaded.
  const yesterday = now - 26 * 60 * min;
  const done = await intakeTrigger(
    s,
    SYSTEM,
    {
      kind: 'fraud_call',
      at: new Date(yesterday).toISOString(),
      person: { msisdn: '+8613810001000' },
      scamType: 'investment_pension',
      summary: '24-minute call from a number flagged for pension investment pitches',
    },
    { source: mobile, organisationId: org.mobile! },
    { now: yesterday },
  );
  const analyst = await demoPrincipal(s.db, 'centre.analyst');
  await recordAttempt(
    s,
    analyst,
    done.warningId,
    { channel: 'call', result: 'answered', note: 'her son was at home' },
    {
      now: yesterday + 9 * min,
    },
  );
  await recordOutcome(
    s,
    analyst,
    done.warningId,
    { kind: 'dissuaded', note: 'agreed not to invest; her son will go with her to the bank' },
    { now: yesterday + 15 * min },
  );
  return 3;
}

async function name(s: Services, id: string): Promise<string> {
  return (
    await s.db.selectFrom('organisations').select('name').where('id', '=', id).executeTakeFirstOrThrow()
  ).name;
}
