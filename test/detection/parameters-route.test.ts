import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testApp, seedUser, signInCookie } from '../helpers/app.ts';
import type { Api } from '../../src/api/types.ts';
import { paramsFingerprint, readDetectorParams } from '../../src/detection/params.ts';

/** `GET /v1/detection-parameters`: what the platform's detectors run with, for readers. */

let app: Api;
let close: () => Promise<void>;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-parameters-route-'));
const file = path.join(dir, 'params.json');

before(async () => {
  fs.writeFileSync(
    file,
    JSON.stringify({ card_limit: { nationalLimit: 3 }, simbox: { windowMs: 43_200_000 } }),
  );
  const t = await testApp({ INTERDICT_DETECTOR_PARAMS: file });
  ({ app, close } = t);
  await seedUser(t.services, {
    org: 'Centre',
    kind: 'anti_fraud_centre',
    username: 'ana',
    roles: ['analyst'],
  });
});
after(async () => {
  await close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the detectors’ parameters over HTTP', () => {
  test('need a session; give every detector’s parameters as the file set them, and the workers’ fingerprint', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/v1/detection-parameters' })).statusCode, 401);
    const r = await app.inject({
      method: 'GET',
      url: '/v1/detection-parameters',
      headers: { cookie: await signInCookie(app, 'ana') },
    });
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json<{
      fingerprint: string;
      source: string;
      detectors: Record<string, Record<string, unknown>>;
    }>();
    assert.equal(body.source, 'file');
    assert.equal(body.fingerprint, paramsFingerprint(readDetectorParams(file)));
    assert.equal(body.detectors.card_limit!.nationalLimit, 3);
    assert.equal(body.detectors.simbox!.windowMs, '12h');
    assert.equal(body.detectors.fraud_caller!.windowMs, '1d');
    assert.equal(Object.keys(body.detectors).length, 7);
  });
});
