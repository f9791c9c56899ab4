import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { generate } from '../../scripts/gen-api-docs.ts';

test('docs/api.md is generated from the current OpenAPI document (run `npm run docs:api`)', async () => {
  const current = await generate();
  assert.equal(fs.readFileSync('docs/api.md', 'utf8'), current);
  assert.match(current, /`POST \/v1\/api-keys` \| .* \| roles: administrator \|/);
  assert.match(current, /`POST \/v1\/auth\/session` \| .* \| public \(rate-limited per client\) \|/);
});
