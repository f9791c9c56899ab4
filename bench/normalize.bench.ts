/**
 * Throughput of the normalisation core (single thread): operations per second over fixed input mixes,
 * after a warm-up, timed with process.hrtime.bigint(). No targets are set for these.
 */
import type { BenchResult } from './harness.ts';
import {
  canonicalizeUrl,
  normalizeBankCard,
  normalizeDomain,
  normalizePhone,
  urlLookupExpressions,
} from '../src/core/normalize/index.ts';

const WARMUP = 20_000;

let sink = 0;

function opsPerSecond(inputs: readonly string[], count: number, fn: (s: string) => number): number {
  const n = inputs.length;
  for (let i = 0; i < WARMUP; i++) sink += fn(inputs[i % n]!);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) sink += fn(inputs[i % n]!);
  const ns = Number(process.hrtime.bigint() - start);
  return count / (ns / 1e9);
}

/** Deterministic CN mobiles over many prefixes (some prefixes are unallocated: those are refused). */
function cnMobiles(n: number): string[] {
  const out: string[] = [];
  let x = 20240601;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const national = String(130 + (x % 70)) + String(x % 100_000_000).padStart(8, '0');
    out.push(
      i % 3 === 0
        ? national
        : i % 3 === 1
          ? `+86 ${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`
          : `${national.slice(0, 3)}-${national.slice(3, 7)}-${national.slice(7)}`,
    );
  }
  return out;
}

const PHONE_MIX = [
  '13800138000',
  '+86 139 1234 5678',
  '0086 137-0000-1234',
  '８６１５８１２３４５６７８',
  'call 186-1234-5678 now',
  '010-12345678',
  '0755 8888 8888',
  '(021) 6123-4567',
  '400-810-8888',
  '+1 650 253 0000',
  '00 44 20 7946 0958',
  '+81 3-1234-5678',
  '95588',
  '10086',
  '110',
  '1380013800',
  'no number here',
];

const URL_MIX = [
  'http://www.google.com/',
  'https://a.b.evil.example/x/y/z.html?q=1&r=2',
  'www.example.com',
  'http://login.icbc.com.cn.secure-verify.top/account/update.php?id=123#top',
  'http://3279880203/blah',
  'http://0xC0A80101/admin/',
  'http://bank.com@evil.example/',
  'http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/',
  'http://аpple.com/login',
  'https://例子.中国/路径?查询=1',
  'http://host.com//twoslashes/../x?more//slashes',
  'hxxp://evil[.]com/pay',
];

const DOMAIN_MIX = [
  'example.com',
  'www.Example.COM.',
  'login.icbc.com.cn',
  'foo.github.io',
  'a.b.c.example.co.uk',
  '例子.中国',
  'аpple.com',
  'https://www.example.com/path',
];

const CARD_MIX = ['4111 1111 1111 1111', '6222021234567890128', '5555-5555-5555-4444', '4111 1111 1111 1112'];

export async function run(): Promise<BenchResult[]> {
  const mobiles = cnMobiles(5000);
  const results: BenchResult[] = [
    {
      name: 'normalizePhone, CN mobiles',
      value: opsPerSecond(mobiles, 500_000, (s) => (normalizePhone(s).ok ? 1 : 0)),
      unit: 'ops/s',
      note: '5,000 distinct numbers, 1/3 each as 11 digits, +86 spaced, dashed',
    },
    {
      name: 'normalizePhone, mixed formats',
      value: opsPerSecond(PHONE_MIX, 200_000, (s) => (normalizePhone(s).ok ? 1 : 0)),
      unit: 'ops/s',
      note: `${PHONE_MIX.length} inputs: mobiles, landlines, 400, foreign, short codes, junk, invalid`,
    },
    {
      name: 'normalizePhone, CN landlines',
      value: opsPerSecond(['010-12345678', '0755 8888 8888', '(021) 6123-4567'], 100_000, (s) =>
        normalizePhone(s).ok ? 1 : 0,
      ),
      unit: 'ops/s',
      note: 'full libphonenumber parse (no shortcut)',
    },
    {
      name: 'canonicalizeUrl + urlLookupExpressions',
      value: opsPerSecond(URL_MIX, 300_000, (s) => {
        const r = canonicalizeUrl(s);
        return r.ok ? urlLookupExpressions(r).length : 0;
      }),
      unit: 'ops/s',
      note: `${URL_MIX.length} URLs: plain, IP forms, userinfo, escapes, IDN, defanged`,
    },
    {
      name: 'canonicalizeUrl',
      value: opsPerSecond(URL_MIX, 300_000, (s) => (canonicalizeUrl(s).ok ? 1 : 0)),
      unit: 'ops/s',
      note: 'same mix, without lookup expressions',
    },
    {
      name: 'normalizeDomain',
      value: opsPerSecond(DOMAIN_MIX, 500_000, (s) => (normalizeDomain(s).ok ? 1 : 0)),
      unit: 'ops/s',
      note: `${DOMAIN_MIX.length} names incl. IDN, private suffix, URL input`,
    },
    {
      name: 'normalizeBankCard',
      value: opsPerSecond(CARD_MIX, 1_000_000, (s) => (normalizeBankCard(s).ok ? 1 : 0)),
      unit: 'ops/s',
      note: 'spaced, dashed and plain; one fails Luhn',
    },
  ];
  if (sink < 0) throw new Error('unreachable');
  return results;
}
