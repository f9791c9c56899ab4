import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, signInCookie } from '../helpers/app.ts';
import { seedDemo, DEMO_PASSWORD } from '../../src/demo/seed.ts';

test('the demo queue: a high-risk elderly person first, a minor on a game-trading scam, one dissuaded', async () => {
  const { app, services, close } = await testApp();
  try {
    await seedDemo(services);
    const cookie = await signInCookie(app, 'centre.analyst', DEMO_PASSWORD);
    type Item = {
      id: string;
      riskLevel: string;
      scamType: string | null;
      person: { maskedName: string; ageGroup: string | null };
      outcome: { kind: string } | null;
    };
    const list = async (status: string) => {
      const res = await app.inject({
        method: 'GET',
        url: `/v1/warnings?status=${status}`,
        headers: { cookie },
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json<{ items: Item[] }>().items;
    };
    const open = await list('open');
    assert.equal(open.length, 2);
    assert.deepEqual(
      [open[0]!.riskLevel, open[0]!.person.ageGroup, open[0]!.person.maskedName],
      ['high', 'elderly', '黄*'],
    );
    assert.deepEqual([open[1]!.person.ageGroup, open[1]!.scamType], ['minor', 'game_trading']);
    const closed = await list('closed');
    assert.equal(closed.length, 1);
    assert.equal(closed[0]!.outcome?.kind, 'dissuaded');
  } finally {
    await close();
  }
});
