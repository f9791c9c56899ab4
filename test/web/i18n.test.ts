import { test } from 'node:test';
import assert from 'node:assert/strict';
import { en } from '../../web/src/i18n/en.ts';
import { zhCN } from '../../web/src/i18n/zh-CN.ts';

/** Every leaf of a dictionary as `dotted.path → text`. */
function leaves(node: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      for (const [path, text] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(path, text);
    }
  } else {
    out.set(prefix, node);
  }
  return out;
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

const dictionaries = { en: leaves(en), 'zh-CN': leaves(zhCN) };

test('the console dictionaries have identical key sets', () => {
  const enKeys = [...dictionaries.en.keys()].sort();
  const zhKeys = [...dictionaries['zh-CN'].keys()].sort();
  assert.deepEqual(
    zhKeys.filter((k) => !dictionaries.en.has(k)),
    [],
    'keys only in zh-CN',
  );
  assert.deepEqual(
    enKeys.filter((k) => !dictionaries['zh-CN'].has(k)),
    [],
    'keys only in en',
  );
  assert.ok(enKeys.length > 100, `expected a full dictionary, found ${enKeys.length} keys`);
});

test('every text is a non-empty string', () => {
  for (const [lang, dict] of Object.entries(dictionaries)) {
    for (const [key, text] of dict) {
      assert.equal(typeof text, 'string', `${lang} ${key} is not a string`);
      assert.ok((text as string).trim().length > 0, `${lang} ${key} is empty`);
    }
  }
});

test('both languages use the same placeholders', () => {
  for (const [key, text] of dictionaries.en) {
    const zh = dictionaries['zh-CN'].get(key);
    assert.deepEqual(placeholders(String(zh)), placeholders(String(text)), `placeholders of ${key}`);
  }
});

test('role names and organisation kinds are translated', () => {
  const roles = ['analyst', 'supervisor', 'auditor', 'institution_operator', 'administrator'];
  const kinds = ['anti_fraud_centre', 'telecom_operator', 'bank', 'internet_service', 'public'];
  for (const dict of Object.values(dictionaries)) {
    for (const r of roles) assert.ok(dict.has(`roles.${r}`), `roles.${r}`);
    for (const k of kinds) assert.ok(dict.has(`orgKinds.${k}`), `orgKinds.${k}`);
  }
  assert.notEqual(zhCN.nav.admin, en.nav.admin);
});
