import type { Services } from '../api/types.ts';
import { demoPrincipal } from './principal.ts';
import { submitAppeal, verifyAppeal } from '../governance/appeals.ts';
import { acknowledgeInstruction, createInstruction } from '../governance/store.ts';

/**
 * A wrongly cut card for the appeal queue: the demo analyst restricted 周婷's card after a burst of
 * short calls (she runs a small delivery business), Demo Mobile carried it out, she appealed on the
 * web, and the operator verified her identity and real use at its counter. The decision waits for
 * a reviewer other than the analyst who issued it: sign in as `centre.supervisor`.
 */
export async function seedAppeals(
  s: Services,
  org: Record<string, string>,
  zhouIdNumber: string,
): Promise<number> {
  const analyst = await demoPrincipal(s.db, 'centre.analyst');
  const operator = await demoPrincipal(s.db, 'telecom.operator');
  const card = '+8613810000800'; // 周婷's first card (person 8), at Demo Mobile
  const { instruction } = await createInstruction(s, analyst, {
    target: { kind: 'msisdn', value: card },
    measure: 'restrict_functions',
    functions: ['outgoing_calls'],
    reason: '40 calls of under 30 seconds to strangers in two hours from one number',
    legalBasis: 'atof_art11',
    receivingOrganisationId: org.mobile!,
  });
  await acknowledgeInstruction(s, operator, instruction.id, 'receipt');
  await acknowledgeInstruction(s, operator, instruction.id, 'execution', { note: 'outgoing calls barred' });
  const out = await submitAppeal(
    s,
    {
      subject: { kind: 'msisdn', value: card },
      appellant: { idNumber: zhouIdNumber, name: '周婷', contactPhone: '+8613810000801' },
      explanation:
        '我经营一家小型同城配送店，每天给很多顾客打电话确认送货，通话都很短。这张卡我已经用了五年，现在无法拨出电话，生意受到影响。',
      language: 'zh',
    },
    { channel: 'web' },
  );
  await verifyAppeal(s, operator, out.id, {
    identity: 'confirmed',
    use: 'confirmed',
    method: 'counter',
    note: '本人持身份证到营业厅核验；近一年通话记录为正常配送联系',
  });
  return 1;
}
