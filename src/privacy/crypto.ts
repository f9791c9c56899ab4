import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../core/config.ts';

/**
 * Encryption of personal data at rest (AES-256-GCM) and keyed hashes (HMAC-SHA256) to find it.
 *
 * Ciphertext layout (one bytea column):
 *
 *   version (1 byte, 0x01) | nonce (12 bytes, random) | ciphertext | GCM tag (16 bytes)
 *
 * The additional authenticated data binds the version, the key id and a context naming the
 * table, column and row (`persons.name_enc:<uuid>`): a ciphertext copied to another column or
 * another row, or relabelled with another key id, fails to decrypt. Keys never reach logs or
 * error messages; errors name key ids only. See docs/privacy.md.
 */

const VERSION = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID_RE = /^[A-Za-z0-9._-]{1,32}$/;
const AAD_PREFIX = 'interdict-pii/v1';
const LOOKUP_PREFIX = 'interdict-lookup/v1';

export class PiiKeyError extends Error {
  override name = 'PiiKeyError';
}

/** A ciphertext failed authentication: wrong key, wrong context, or the bytes were altered. */
export class PiiDecryptError extends Error {
  override name = 'PiiDecryptError';
}

export interface PiiKey {
  id: string;
  key: Buffer;
}

export interface Encrypted {
  keyId: string;
  ciphertext: Buffer;
}

/** Where the keys came from: the environment, `<dataDir>/keys.json`, or generated for this process only. */
export type PiiKeySource = 'env' | 'file' | 'ephemeral';

/** The AAD context of one encrypted column of one row: `table.column:rowId`. */
export function piiContext(table: string, column: string, rowId: string): string {
  return `${table}.${column}:${rowId}`;
}

export class PiiCipher {
  readonly #keys: Map<string, Buffer>;
  readonly #lookupKey: Buffer;
  /** Key id used for every new ciphertext (the first configured key). */
  readonly activeKeyId: string;
  readonly source: PiiKeySource;

  constructor(keys: readonly PiiKey[], lookupKey: Buffer, source: PiiKeySource = 'env') {
    if (keys.length === 0) throw new PiiKeyError('at least one personal-data key is needed');
    this.#keys = new Map();
    for (const k of keys) {
      if (!KEY_ID_RE.test(k.id)) throw new PiiKeyError(`key id "${k.id}" must be 1–32 of A-Z a-z 0-9 . _ -`);
      if (k.key.length !== KEY_BYTES) throw new PiiKeyError(`key "${k.id}" must be ${KEY_BYTES} bytes`);
      if (this.#keys.has(k.id)) throw new PiiKeyError(`key id "${k.id}" is given twice`);
      this.#keys.set(k.id, Buffer.from(k.key));
    }
    if (lookupKey.length !== KEY_BYTES) throw new PiiKeyError(`the lookup key must be ${KEY_BYTES} bytes`);
    this.#lookupKey = Buffer.from(lookupKey);
    this.activeKeyId = keys[0]!.id;
    this.source = source;
  }

  /** Every key id this cipher can decrypt, the active one first. */
  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  hasKey(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** Encrypts under the active key; `context` names where the ciphertext will live (see piiContext). */
  encrypt(plain: string, context: string): Encrypted {
    return this.#encryptWith(this.activeKeyId, Buffer.from(plain, 'utf8'), context);
  }

  /** `encrypt` for binary data (a worker's detector state, which holds holders' id numbers). */
  encryptBytes(plain: Uint8Array, context: string): Encrypted {
    return this.#encryptWith(this.activeKeyId, plain, context);
  }

  decrypt(keyId: string, ciphertext: Uint8Array, context: string): string {
    return this.decryptBytes(keyId, ciphertext, context).toString('utf8');
  }

  decryptBytes(keyId: string, ciphertext: Uint8Array, context: string): Buffer {
    const key = this.#keys.get(keyId);
    if (!key)
      throw new PiiKeyError(`no key "${keyId}" is configured (INTERDICT_PII_KEYS): the data cannot be read`);
    const buf = Buffer.from(ciphertext);
    if (buf.length < 1 + NONCE_BYTES + TAG_BYTES || buf[0] !== VERSION) {
      throw new PiiDecryptError(`ciphertext for ${describeContext(context)} is malformed`);
    }
    const nonce = buf.subarray(1, 1 + NONCE_BYTES);
    const tag = buf.subarray(buf.length - TAG_BYTES);
    const body = buf.subarray(1 + NONCE_BYTES, buf.length - TAG_BYTES);
    try {
      const d = crypto.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
      d.setAAD(aad(keyId, context));
      d.setAuthTag(tag);
      return Buffer.concat([d.update(body), d.final()]);
    } catch {
      throw new PiiDecryptError(`ciphertext for ${describeContext(context)} failed authentication`);
    }
  }

  /**
   * Re-encrypts under the active key; `null` when the ciphertext already uses it. Decrypts
   * first, so a tampered ciphertext fails here instead of being laundered under the new key.
   */
  reencrypt(keyId: string, ciphertext: Uint8Array, context: string): Encrypted | null {
    if (keyId === this.activeKeyId) return null;
    // As bytes: a binary plaintext (encryptBytes) must not pass through a UTF-8 string.
    return this.#encryptWith(this.activeKeyId, this.decryptBytes(keyId, ciphertext, context), context);
  }

  /**
   * Keyed hash for exact-match lookups: HMAC-SHA256 over `kind` and the normalised value,
   * domain-separated so the same value hashed as two kinds gives unrelated results. base64url,
   * 43 characters. Stable across PII key rotation (the lookup key is separate).
   */
  lookupHash(kind: string, normalisedValue: string): string {
    if (!/^[a-z][a-z0-9_]*$/.test(kind))
      throw new Error(`lookup kind "${kind}" must be lower-case letters, digits, _`);
    return crypto
      .createHmac('sha256', this.#lookupKey)
      .update(`${LOOKUP_PREFIX}\0${kind}\0${normalisedValue}`, 'utf8')
      .digest('base64url');
  }

  #encryptWith(keyId: string, plain: Uint8Array, context: string): Encrypted {
    const key = this.#keys.get(keyId)!;
    const nonce = crypto.randomBytes(NONCE_BYTES);
    const c = crypto.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    c.setAAD(aad(keyId, context));
    const body = Buffer.concat([c.update(plain), c.final()]);
    return { keyId, ciphertext: Buffer.concat([Buffer.from([VERSION]), nonce, body, c.getAuthTag()]) };
  }

  /** Keys stay out of console.log / util.inspect / JSON.stringify. */
  toJSON(): object {
    return { activeKeyId: this.activeKeyId, keyIds: this.keyIds, source: this.source };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `PiiCipher { activeKeyId: '${this.activeKeyId}', keys: ${this.#keys.size}, source: '${this.source}' }`;
  }
}

function aad(keyId: string, context: string): Buffer {
  return Buffer.from(`${AAD_PREFIX}\0${VERSION}\0${keyId}\0${context}`, 'utf8');
}

/** `persons.name_enc:<uuid>` → `persons.name_enc` (row ids are not secret, but keep messages short). */
function describeContext(context: string): string {
  return context.split(':')[0] ?? context;
}

// --- configuration -----------------------------------------------------------------------------

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$|^[A-Za-z0-9_-]+$/;

function decodeKey(b64: string, what: string): Buffer {
  const s = b64.trim();
  if (!s || !BASE64_RE.test(s)) throw new PiiKeyError(`${what} is not base64`);
  const buf = Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
  if (buf.length !== KEY_BYTES) {
    throw new PiiKeyError(
      `${what} must decode to ${KEY_BYTES} bytes (got ${buf.length}); generate one with: openssl rand -base64 32`,
    );
  }
  return buf;
}

/** Parses `keyId:base64key[,keyId:base64key…]` (INTERDICT_PII_KEYS); the first encrypts, all decrypt. */
export function parsePiiKeys(spec: string, what = 'INTERDICT_PII_KEYS'): PiiKey[] {
  const parts = spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new PiiKeyError(`${what} is empty`);
  const seen = new Set<string>();
  return parts.map((part, i) => {
    const colon = part.indexOf(':');
    if (colon <= 0) throw new PiiKeyError(`${what}: entry ${i + 1} must look like keyId:base64key`);
    const id = part.slice(0, colon);
    if (!KEY_ID_RE.test(id))
      throw new PiiKeyError(`${what}: key id "${id}" must be 1–32 of A-Z a-z 0-9 . _ -`);
    if (seen.has(id)) throw new PiiKeyError(`${what}: key id "${id}" is given twice`);
    seen.add(id);
    return { id, key: decodeKey(part.slice(colon + 1), `${what}: key "${id}"`) };
  });
}

/** A fresh `keyId:base64key` entry to put first in INTERDICT_PII_KEYS (or keys.json) to rotate. */
export function generatePiiKeySpec(
  keyId = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`,
): string {
  if (!KEY_ID_RE.test(keyId)) throw new PiiKeyError(`key id "${keyId}" must be 1–32 of A-Z a-z 0-9 . _ -`);
  return `${keyId}:${crypto.randomBytes(KEY_BYTES).toString('base64')}`;
}

/**
 * `<dataDir>/keys.json`: the embedded default's keys, in the same notation as the environment,
 * so moving them into a secret store is a copy: `piiKeys` → INTERDICT_PII_KEYS, `lookupKey` →
 * INTERDICT_LOOKUP_KEY.
 */
export interface KeysFile {
  version: 1;
  createdAt: string;
  piiKeys: string;
  lookupKey: string;
}

export const KEYS_FILE = 'keys.json';

/**
 * The cipher for this process:
 * - INTERDICT_PII_KEYS and INTERDICT_LOOKUP_KEY set: those (both or neither);
 * - neither set, `dataDir` a folder: `<dataDir>/keys.json`, created (mode 0600) on first use;
 * - neither set, `dataDir` `memory://…`: keys generated for this process only.
 * Throws PiiKeyError with a message naming the setting (never a key) when a key is invalid.
 */
export function loadPiiCipher(config: Pick<Config, 'piiKeys' | 'lookupKey' | 'dataDir'>): PiiCipher {
  const { piiKeys, lookupKey, dataDir } = config;
  if (piiKeys || lookupKey) {
    if (!piiKeys || !lookupKey) {
      throw new PiiKeyError(
        'set both INTERDICT_PII_KEYS and INTERDICT_LOOKUP_KEY, or neither (generated keys)',
      );
    }
    return new PiiCipher(parsePiiKeys(piiKeys), decodeKey(lookupKey, 'INTERDICT_LOOKUP_KEY'), 'env');
  }
  if (!dataDir || dataDir.startsWith('memory://')) {
    return new PiiCipher(
      [{ id: 'ephemeral', key: crypto.randomBytes(KEY_BYTES) }],
      crypto.randomBytes(KEY_BYTES),
      'ephemeral',
    );
  }
  const file = readOrCreateKeysFile(dataDir);
  return new PiiCipher(
    parsePiiKeys(file.piiKeys, `${KEYS_FILE} piiKeys`),
    decodeKey(file.lookupKey, `${KEYS_FILE} lookupKey`),
    'file',
  );
}

function readOrCreateKeysFile(dataDir: string): KeysFile {
  const file = path.join(dataDir, KEYS_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  const fresh: KeysFile = {
    version: 1,
    createdAt: new Date().toISOString(),
    piiKeys: generatePiiKeySpec('k1'),
    lookupKey: crypto.randomBytes(KEY_BYTES).toString('base64'),
  };
  try {
    // `wx`: exactly one process creates it; another one starting at the same time reads it.
    fs.writeFileSync(file, JSON.stringify(fresh, null, 2) + '\n', { flag: 'wx', mode: 0o600 });
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new PiiKeyError(`cannot create ${file}: ${(err as Error).message}`);
    }
  }
  let parsed: Partial<KeysFile>;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<KeysFile>;
  } catch (err) {
    // Not the parser's message: it quotes the file's content, which holds keys.
    const code = (err as NodeJS.ErrnoException).code;
    throw new PiiKeyError(`cannot read ${file}: ${code ?? 'not valid JSON'}`);
  }
  if (parsed.version !== 1 || typeof parsed.piiKeys !== 'string' || typeof parsed.lookupKey !== 'string') {
    throw new PiiKeyError(
      `${file} must hold {"version":1,"piiKeys":"keyId:base64key,…","lookupKey":"base64key"}`,
    );
  }
  return parsed as KeysFile;
}
