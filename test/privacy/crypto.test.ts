import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import {
  generatePiiKeySpec,
  loadPiiCipher,
  parsePiiKeys,
  PiiCipher,
  PiiDecryptError,
  PiiKeyError,
  piiContext,
} from '../../src/privacy/crypto.ts';

const key = () => crypto.randomBytes(32);
const b64 = (b: Buffer) => b.toString('base64');
const ctx = piiContext('persons', 'name_enc', '6f1c7c1e-3a0b-4f55-9a55-1c2b3d4e5f60');

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'interdict-keys-'));
  tmpDirs.push(d);
  return d;
}
after(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('PiiCipher', () => {
  const k1 = key();
  const lookup = key();
  const cipher = new PiiCipher([{ id: 'k1', key: k1 }], lookup);

  test('round trip, including Chinese text and the empty string', () => {
    for (const plain of ['张三', 'John Smith', '', '11010519491231002X', '🙂 mixed 文字']) {
      const { keyId, ciphertext } = cipher.encrypt(plain, ctx);
      assert.equal(keyId, 'k1');
      assert.equal(cipher.decrypt(keyId, ciphertext, ctx), plain);
    }
  });

  test('layout: version byte, 96-bit random nonce, ciphertext, 128-bit tag', () => {
    const a = cipher.encrypt('张三', ctx).ciphertext;
    const b = cipher.encrypt('张三', ctx).ciphertext;
    assert.equal(a[0], 1);
    assert.equal(a.length, 1 + 12 + Buffer.byteLength('张三') + 16);
    assert.notDeepEqual(a.subarray(1, 13), b.subarray(1, 13), 'fresh nonce each time');
    assert.notDeepEqual(a, b);
    assert.ok(!a.includes(Buffer.from('张三')));
  });

  test('flipping any byte is detected', () => {
    const { ciphertext } = cipher.encrypt('11010519491231002X', ctx);
    for (let i = 0; i < ciphertext.length; i++) {
      const t = Buffer.from(ciphertext);
      t[i]! ^= 0x01;
      assert.throws(() => cipher.decrypt('k1', t, ctx), PiiDecryptError, `byte ${i}`);
    }
    assert.throws(() => cipher.decrypt('k1', ciphertext.subarray(0, 20), ctx), PiiDecryptError);
  });

  test('the context is bound: another column or row fails', () => {
    const { ciphertext } = cipher.encrypt('张三', ctx);
    assert.throws(
      () =>
        cipher.decrypt(
          'k1',
          ciphertext,
          piiContext('persons', 'id_number_enc', '6f1c7c1e-3a0b-4f55-9a55-1c2b3d4e5f60'),
        ),
      PiiDecryptError,
    );
    assert.throws(
      () =>
        cipher.decrypt(
          'k1',
          ciphertext,
          piiContext('persons', 'name_enc', '00000000-0000-4000-8000-000000000000'),
        ),
      PiiDecryptError,
    );
  });

  test('the key id is bound: relabelling with another key id fails, even if it is the same key', () => {
    const twin = new PiiCipher(
      [
        { id: 'k1', key: k1 },
        { id: 'k1-copy', key: k1 },
      ],
      lookup,
    );
    const { ciphertext } = twin.encrypt('张三', ctx);
    assert.equal(twin.decrypt('k1', ciphertext, ctx), '张三');
    assert.throws(() => twin.decrypt('k1-copy', ciphertext, ctx), PiiDecryptError);
    assert.throws(() => cipher.decrypt('nope', ciphertext, ctx), PiiKeyError);
  });

  test('lookup hashes: stable, keyed, domain-separated by kind', () => {
    const h = cipher.lookupHash('id_number', 'prc_resident:11010519491231002X');
    assert.match(h, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(h, cipher.lookupHash('id_number', 'prc_resident:11010519491231002X'));
    assert.notEqual(h, cipher.lookupHash('msisdn', 'prc_resident:11010519491231002X'));
    assert.notEqual(
      h,
      new PiiCipher([{ id: 'k1', key: k1 }], key()).lookupHash(
        'id_number',
        'prc_resident:11010519491231002X',
      ),
    );
    // the kind and the value cannot be shifted into one another
    assert.notEqual(cipher.lookupHash('a', 'b\0c'), cipher.lookupHash('a_b', 'c'));
  });

  test('rotation: the old key still decrypts, reencrypt moves to the new key, lookup hashes do not change', () => {
    const { ciphertext: old } = cipher.encrypt('李四', ctx);
    const rotated = new PiiCipher(
      [
        { id: 'k2', key: key() },
        { id: 'k1', key: k1 },
      ],
      lookup,
    );
    assert.equal(rotated.activeKeyId, 'k2');
    assert.deepEqual(rotated.keyIds, ['k2', 'k1']);
    assert.equal(rotated.decrypt('k1', old, ctx), '李四');
    const moved = rotated.reencrypt('k1', old, ctx)!;
    assert.equal(moved.keyId, 'k2');
    assert.equal(rotated.decrypt('k2', moved.ciphertext, ctx), '李四');
    assert.equal(rotated.reencrypt('k2', moved.ciphertext, ctx), null, 'already under the active key');
    assert.throws(() => cipher.decrypt('k2', moved.ciphertext, ctx), PiiKeyError);
    assert.equal(rotated.lookupHash('id_number', 'x'), cipher.lookupHash('id_number', 'x'));
    // A tampered ciphertext is not laundered under the new key.
    const t = Buffer.from(old);
    t[15]! ^= 1;
    assert.throws(() => rotated.reencrypt('k1', t, ctx), PiiDecryptError);
  });

  test('keys never show in inspect or JSON', () => {
    const shown = util.inspect(cipher, { showHidden: true, depth: 5 }) + JSON.stringify(cipher);
    assert.ok(!shown.includes(b64(k1)) && !shown.includes(k1.toString('hex')));
    assert.match(shown, /k1/);
  });
});

describe('key configuration', () => {
  test('INTERDICT_PII_KEYS: the first key encrypts, all decrypt', () => {
    const a = key();
    const b = key();
    const c = loadPiiCipher({
      piiKeys: `new:${b64(a)}, old:${b64(b)}`,
      lookupKey: b64(key()),
      dataDir: '/nonexistent',
    });
    assert.equal(c.activeKeyId, 'new');
    assert.deepEqual(c.keyIds, ['new', 'old']);
    assert.equal(c.source, 'env');
    // base64url works too
    const u = loadPiiCipher({
      piiKeys: `u:${a.toString('base64url')}`,
      lookupKey: key().toString('base64url'),
      dataDir: '',
    });
    assert.equal(u.activeKeyId, 'u');
  });

  test('invalid configurations fail with a clear message that names no key', () => {
    const secret = b64(crypto.randomBytes(16));
    const cases: [Record<string, string | undefined>, RegExp][] = [
      [{ piiKeys: `k1:${secret}` }, /both/],
      [{ lookupKey: b64(key()) }, /both/],
      [{ piiKeys: `k1:${secret}`, lookupKey: b64(key()) }, /32 bytes \(got 16\)/],
      [{ piiKeys: `k1:${b64(key())}`, lookupKey: secret }, /INTERDICT_LOOKUP_KEY must decode to 32 bytes/],
      [{ piiKeys: b64(key()), lookupKey: b64(key()) }, /keyId:base64key/],
      [{ piiKeys: `k1:not base64!`, lookupKey: b64(key()) }, /not base64/],
      [{ piiKeys: `bad id:${b64(key())}`, lookupKey: b64(key()) }, /key id/],
      [{ piiKeys: `k1:${b64(key())},k1:${b64(key())}`, lookupKey: b64(key()) }, /twice/],
      [{ piiKeys: ' , ', lookupKey: b64(key()) }, /empty/],
    ];
    for (const [cfg, re] of cases) {
      assert.throws(
        () => loadPiiCipher({ piiKeys: cfg.piiKeys, lookupKey: cfg.lookupKey, dataDir: 'memory://' }),
        (err: Error) => {
          assert.ok(err instanceof PiiKeyError, err.message);
          assert.match(err.message, re);
          assert.ok(!err.message.includes(secret), 'the message must not contain the key');
          return true;
        },
      );
    }
  });

  test('memory:// gives ephemeral keys', () => {
    const a = loadPiiCipher({ piiKeys: undefined, lookupKey: undefined, dataDir: 'memory://' });
    const b = loadPiiCipher({ piiKeys: undefined, lookupKey: undefined, dataDir: 'memory://' });
    assert.equal(a.source, 'ephemeral');
    assert.notEqual(a.lookupHash('x', 'y'), b.lookupHash('x', 'y'));
  });

  test('a data folder gets keys.json (0600) once, and reuses it', () => {
    const dir = path.join(tmpDir(), 'data');
    const first = loadPiiCipher({ piiKeys: undefined, lookupKey: undefined, dataDir: dir });
    const file = path.join(dir, 'keys.json');
    assert.ok(fs.existsSync(file));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(first.source, 'file');
    const content = fs.readFileSync(file, 'utf8');
    const { ciphertext, keyId } = first.encrypt('王五', ctx);

    const second = loadPiiCipher({ piiKeys: undefined, lookupKey: undefined, dataDir: dir });
    assert.equal(fs.readFileSync(file, 'utf8'), content, 'not rewritten');
    assert.equal(second.decrypt(keyId, ciphertext, ctx), '王五');
    assert.equal(second.lookupHash('id_number', 'v'), first.lookupHash('id_number', 'v'));

    // Its values are in the environment's notation: copying them into the environment works.
    const parsed = JSON.parse(content) as { piiKeys: string; lookupKey: string };
    const env = loadPiiCipher({ piiKeys: parsed.piiKeys, lookupKey: parsed.lookupKey, dataDir: 'memory://' });
    assert.equal(env.decrypt(keyId, ciphertext, ctx), '王五');
  });

  test('environment keys take precedence over keys.json', () => {
    const dir = tmpDir();
    loadPiiCipher({ piiKeys: undefined, lookupKey: undefined, dataDir: dir });
    const c = loadPiiCipher({ piiKeys: `envkey:${b64(key())}`, lookupKey: b64(key()), dataDir: dir });
    assert.equal(c.activeKeyId, 'envkey');
  });

  test('a rotated keys.json (new key first) decrypts old data', () => {
    const dir = tmpDir();
    const first = loadPiiCipher({ piiKeys: undefined, lookupKey: undefined, dataDir: dir });
    const { ciphertext, keyId } = first.encrypt('赵六', ctx);
    const file = path.join(dir, 'keys.json');
    const content = JSON.parse(fs.readFileSync(file, 'utf8')) as { piiKeys: string };
    content.piiKeys = `${generatePiiKeySpec('k2')},${content.piiKeys}`;
    fs.writeFileSync(file, JSON.stringify(content));
    const after = loadPiiCipher({ piiKeys: undefined, lookupKey: undefined, dataDir: dir });
    assert.equal(after.activeKeyId, 'k2');
    assert.equal(after.decrypt(keyId, ciphertext, ctx), '赵六');
  });

  test('a damaged keys.json is an error, not silently replaced, and its content is not echoed', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'keys.json'), '{"piiKeys": "k1:SECRETSECRET", ', { mode: 0o600 });
    assert.throws(
      () => loadPiiCipher({ piiKeys: undefined, lookupKey: undefined, dataDir: dir }),
      (err: Error) =>
        err instanceof PiiKeyError && !err.message.includes('SECRET') && /not valid JSON/.test(err.message),
    );
    fs.writeFileSync(path.join(dir, 'keys.json'), '{"version":1}');
    assert.throws(
      () => loadPiiCipher({ piiKeys: undefined, lookupKey: undefined, dataDir: dir }),
      /must hold/,
    );
  });

  test('generatePiiKeySpec makes a valid entry', () => {
    const [k] = parsePiiKeys(generatePiiKeySpec('k9'));
    assert.equal(k!.id, 'k9');
    assert.equal(k!.key.length, 32);
  });
});
