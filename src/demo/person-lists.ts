import type { Services } from '../api/types.ts';
import type { Principal } from '../identity/model.ts';
import { addMonths, designatePerson } from '../governance/person-lists.ts';

const DAY_MS = 86_400_000;

/**
 * The demo's lists of persons: 杨磊, who holds eight cards across two operators and sold some of
 * them on (the card-limit detection), under credit punishment for two years; and 吴刚, back from a
 * scam compound abroad, under exit restriction for a year with a review in six months. Designated
 * by the demo centre's supervisor, as the console would.
 */
export async function seedPersonLists(
  s: Services,
  person: (index: number) => { idNumber: string; name: string },
): Promise<number> {
  const sup = await s.db
    .selectFrom('users as u')
    .innerJoin('organisations as o', 'o.id', 'u.organisation_id')
    .select(['u.id', 'u.username', 'u.organisation_id'])
    .where('u.username', '=', 'centre.supervisor')
    .where('o.kind', '=', 'anti_fraud_centre')
    .executeTakeFirst();
  if (!sup) return 0;
  const supervisor: Principal = {
    kind: 'user',
    id: sup.id,
    name: sup.username,
    organisationId: sup.organisation_id,
    organisationKind: 'anti_fraud_centre',
    roles: ['supervisor'],
    scopes: [],
  };
  const started = new Date(Date.now() - 30 * DAY_MS);
  const seller = person(5);
  await designatePerson(s, supervisor, {
    list: 'credit_punishment',
    ...seller,
    reason:
      '出售名下电话卡给诈骗团伙 Sold phone cards in his name to a fraud ring (card-limit detection, 8 cards)',
    startsAt: started.toISOString(),
    endsAt: addMonths(started, 24).toISOString(),
    ref: 'demo-credit-1',
  });
  const returnee = person(9);
  await designatePerson(s, supervisor, {
    list: 'exit_restriction',
    ...returnee,
    reason: '从境外诈骗窝点返回，涉嫌参与诈骗 Returned from a scam compound abroad, suspected of taking part',
    startsAt: started.toISOString(),
    endsAt: addMonths(started, 12).toISOString(),
    ref: 'demo-exit-1',
  });
  return 2;
}
