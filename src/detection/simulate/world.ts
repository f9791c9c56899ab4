/**
 * The simulated world's fixed parts: regions, operators, banks and how their identifiers are made
 * (numbers, IMSIs, IMEIs, identity numbers, account numbers). Every identifier is valid in the way
 * the real one is: CN mobile ranges libphonenumber accepts, 13-digit IoT numbers, IMEIs and bank
 * cards with their Luhn check digit, identity numbers with their MOD 11-2 check character.
 */
import { imeiCheckDigit } from '../../core/normalize/device.ts';
import { isValidE164 } from '../../core/normalize/phone.ts';
import { prcCheckCharacter } from '../../privacy/idnumber.ts';
import type { Rng } from './rng.ts';

export interface Region {
  /** 6-digit PRC administrative division code. */
  code: string;
  name: string;
  lat: number;
  lon: number;
  /** Relative population. */
  weight: number;
}

/** City districts the simulated people live in (the code is also the first part of every cell id). */
export const REGIONS: readonly Region[] = [
  { code: '110101', name: 'Beijing Dongcheng', lat: 39.93, lon: 116.42, weight: 3 },
  { code: '110105', name: 'Beijing Chaoyang', lat: 39.92, lon: 116.44, weight: 5 },
  { code: '120101', name: 'Tianjin Heping', lat: 39.12, lon: 117.2, weight: 3 },
  { code: '130102', name: "Shijiazhuang Chang'an", lat: 38.05, lon: 114.52, weight: 2 },
  { code: '140105', name: 'Taiyuan Xiaodian', lat: 37.74, lon: 112.56, weight: 2 },
  { code: '210102', name: 'Shenyang Heping', lat: 41.79, lon: 123.4, weight: 2 },
  { code: '220102', name: 'Changchun Nanguan', lat: 43.86, lon: 125.35, weight: 2 },
  { code: '230102', name: 'Harbin Daoli', lat: 45.76, lon: 126.62, weight: 2 },
  { code: '310104', name: 'Shanghai Xuhui', lat: 31.19, lon: 121.44, weight: 4 },
  { code: '310115', name: 'Shanghai Pudong', lat: 31.22, lon: 121.54, weight: 5 },
  { code: '320102', name: 'Nanjing Xuanwu', lat: 32.05, lon: 118.8, weight: 3 },
  { code: '320505', name: 'Suzhou Huqiu', lat: 31.3, lon: 120.57, weight: 3 },
  { code: '330106', name: 'Hangzhou Xihu', lat: 30.26, lon: 120.13, weight: 3 },
  { code: '340104', name: 'Hefei Shushan', lat: 31.85, lon: 117.26, weight: 2 },
  { code: '350102', name: 'Fuzhou Gulou', lat: 26.08, lon: 119.3, weight: 2 },
  { code: '350203', name: 'Xiamen Siming', lat: 24.45, lon: 118.08, weight: 2 },
  { code: '360102', name: 'Nanchang Donghu', lat: 28.68, lon: 115.9, weight: 2 },
  { code: '370102', name: 'Jinan Lixia', lat: 36.67, lon: 117.08, weight: 2 },
  { code: '370202', name: 'Qingdao Shinan', lat: 36.07, lon: 120.38, weight: 2 },
  { code: '410105', name: 'Zhengzhou Jinshui', lat: 34.76, lon: 113.69, weight: 3 },
  { code: '420111', name: 'Wuhan Hongshan', lat: 30.5, lon: 114.34, weight: 3 },
  { code: '430104', name: 'Changsha Yuelu', lat: 28.23, lon: 112.93, weight: 2 },
  { code: '440106', name: 'Guangzhou Tianhe', lat: 23.12, lon: 113.36, weight: 4 },
  { code: '440305', name: 'Shenzhen Nanshan', lat: 22.53, lon: 113.93, weight: 4 },
  { code: '450103', name: 'Nanning Qingxiu', lat: 22.82, lon: 108.38, weight: 2 },
  { code: '460105', name: 'Haikou Xiuying', lat: 20.01, lon: 110.29, weight: 1 },
  { code: '500103', name: 'Chongqing Yuzhong', lat: 29.56, lon: 106.57, weight: 3 },
  { code: '510107', name: 'Chengdu Wuhou', lat: 30.64, lon: 104.04, weight: 3 },
  { code: '520102', name: 'Guiyang Nanming', lat: 26.57, lon: 106.71, weight: 2 },
  { code: '530102', name: 'Kunming Wuhua', lat: 25.04, lon: 102.7, weight: 2 },
  { code: '610113', name: "Xi'an Yanta", lat: 34.22, lon: 108.95, weight: 3 },
  { code: '620102', name: 'Lanzhou Chengguan', lat: 36.06, lon: 103.83, weight: 1 },
  { code: '650102', name: 'Urumqi Tianshan', lat: 43.8, lon: 87.61, weight: 1 },
];

const REGION_BY_CODE = new Map(REGIONS.map((r) => [r.code, r]));

/** The region of a simulated cell id (`440305-0012` → `440305`). */
export function cellRegion(cellId: string): string {
  return cellId.slice(0, 6);
}

/** Great-circle distance between two regions of REGIONS (km); null if either is unknown. */
export function regionDistanceKm(a: string, b: string): number | null {
  const ra = REGION_BY_CODE.get(a);
  const rb = REGION_BY_CODE.get(b);
  if (!ra || !rb) return null;
  const rad = Math.PI / 180;
  const dLat = (rb.lat - ra.lat) * rad;
  const dLon = (rb.lon - ra.lon) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(ra.lat * rad) * Math.cos(rb.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

export interface Operator {
  name: string;
  /** Mobile network codes (IMSI = 460 + MNC + 10 digits). */
  mnc: readonly string[];
  /** 3-digit consumer number blocks. */
  prefixes: readonly string[];
  /** 4-digit IoT number block (13-digit numbers). */
  iotPrefix: string;
  share: number;
}

/** The three operators whose cards and call records are in the data. */
export const OPERATORS: readonly Operator[] = [
  {
    name: 'China Mobile',
    mnc: ['00', '02', '07'],
    prefixes: ['134', '135', '136', '137', '138', '139', '150', '151', '152', '157', '158', '159', '182', '183', '187', '188', '198'], // prettier-ignore
    iotPrefix: '1440',
    share: 0.58,
  },
  {
    name: 'China Unicom',
    mnc: ['01', '06'],
    prefixes: ['130', '131', '132', '155', '156', '166', '185', '186'],
    iotPrefix: '1460',
    share: 0.22,
  },
  {
    name: 'China Telecom',
    mnc: ['03', '11'],
    prefixes: ['133', '153', '177', '180', '181', '189', '199'],
    iotPrefix: '1410',
    share: 0.2,
  },
];

/** A fourth domestic network whose subscribers are outside the data: their calls arrive `offnet`. */
export const OFFNET_PREFIX = '192';

export interface Bank {
  name: string;
  /** Issuer prefix; the number is `bin` + digits + Luhn check digit, `length` digits in all. */
  bin: string;
  length: number;
  share: number;
}

export const BANKS: readonly Bank[] = [
  { name: 'ICBC', bin: '622202', length: 19, share: 0.24 },
  { name: 'China Construction Bank', bin: '621700', length: 19, share: 0.2 },
  { name: 'Agricultural Bank of China', bin: '622848', length: 19, share: 0.18 },
  { name: 'Bank of China', bin: '621661', length: 19, share: 0.14 },
  { name: 'China Merchants Bank', bin: '622588', length: 16, share: 0.14 },
  { name: 'Bank of Communications', bin: '622260', length: 17, share: 0.1 },
];

/** Type allocation codes of the handsets and modules in the world (the first 8 IMEI digits). */
const TACS = [
  '35332509', '35391110', '35875109', '35467210', '86769304', '86471803', '86012404', '86891003',
  '35209711', '35698108', '86557805', '86123506', '35402811', '86738205', '35294310', '86990104',
]; // prettier-ignore
/** GoIP / SIM-box gateways and IoT modules. */
export const GATEWAY_TAC = '86299803';
export const MODULE_TAC = '86104903';

/** Weighted choice: index of `weights`. */
export function weighted(rng: Rng, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let x = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!;
    if (x < 0) return i;
  }
  return weights.length - 1;
}

/** `k` mapped one-to-one onto [0, 10^digits) and zero-padded (a scramble so numbers do not look sequential). */
function scramble(k: number, digits: number, mult: number, add: number): string {
  const mod = 10 ** digits;
  // mult is odd and not a multiple of 5, so k ↦ (k·mult + add) mod 10^digits is a bijection.
  const v = ((((k % mod) * mult + add) % mod) + mod) % mod;
  return String(v).padStart(digits, '0');
}

/**
 * Issues identifiers. Each kind has its own counter, so every number, IMSI, IMEI and account is
 * unique in the world; `salt` (from the seed) varies them between worlds.
 */
export class Identifiers {
  private cards = 0;
  private iot = 0;
  private platforms = 0;
  private offnet = 0;
  private unassigned = 0;
  private devices = 0;
  private machines = 0;
  private readonly accounts = new Map<string, number>();
  private foreign = 0;
  private readonly ids = new Set<string>();

  constructor(private readonly salt: number) {}

  /** A consumer card of `op`: its E.164 number and IMSI. */
  consumerCard(rng: Rng, op: Operator): { msisdn: string; imsi: string } {
    const k = this.cards++;
    const prefix = rng.pick(op.prefixes);
    return {
      msisdn: '+86' + prefix + scramble(k, 8, 7654321, this.salt),
      imsi: '460' + rng.pick(op.mnc) + scramble(k, 10, 7919, this.salt * 7),
    };
  }

  /** An IoT card of `op`: a 13-digit number in the operator's 14x block. */
  iotCard(rng: Rng, op: Operator): { msisdn: string; imsi: string } {
    const k = this.iot++;
    return {
      msisdn: '+86' + op.iotPrefix + scramble(k, 9, 98765431, this.salt),
      imsi: '460' + rng.pick(op.mnc) + scramble(k + 50_000_000, 10, 7919, this.salt * 7),
    };
  }

  /** An IoT platform number (13-digit 1064 block) that devices report to. */
  platformNumber(): string {
    return '+861064' + scramble(this.platforms++, 9, 3571113, this.salt);
  }

  /** A subscriber of the network outside the data. */
  offnetNumber(): string {
    return '+86' + OFFNET_PREFIX + scramble(this.offnet++, 8, 7654321, this.salt);
  }

  /** A valid CN mobile number no card in the world has (what a spoofer may present). */
  unassignedNumber(): string {
    // Block 191 is in no operator's list above, so these never collide with issued cards.
    return '+86191' + scramble(this.unassigned++, 8, 1234567, this.salt);
  }

  /** A device IMEI (15 digits, Luhn check digit) with a handset TAC, or `tac` if given. */
  imei(tac?: string): string {
    let body: string;
    if (tac) {
      body = tac + scramble(this.machines++, 6, 123457, this.salt);
    } else {
      const k = this.devices++;
      body = TACS[k % TACS.length]! + scramble(Math.floor(k / TACS.length), 6, 123457, this.salt);
    }
    return body + String(imeiCheckDigit(body));
  }

  /** A bank card number at `bank` (Luhn-valid). */
  account(bank: Bank): string {
    const k = this.accounts.get(bank.name) ?? 0;
    this.accounts.set(bank.name, k + 1);
    const digits = bank.length - bank.bin.length - 1;
    return luhnComplete(bank.bin + scramble(k, digits, 7654321, this.salt));
  }

  /** A card number abroad (16 digits, Luhn-valid; in no account file): cash-out destinations. */
  foreignAccount(): string {
    return luhnComplete('4' + scramble(this.foreign++, 14, 7654321, this.salt));
  }

  /** A valid PRC identity number for someone from `region`, born in [1950, 2006], unique in the world. */
  identity(rng: Rng, region: string): string {
    for (;;) {
      const y = rng.range(1950, 2006);
      const m = rng.range(1, 12);
      const d = rng.range(1, 28);
      const seq = rng.range(0, 999);
      const first17 = `${region}${y}${pad2(m)}${pad2(d)}${String(seq).padStart(3, '0')}`;
      const id = first17 + prcCheckCharacter(first17);
      if (!this.ids.has(id)) {
        this.ids.add(id);
        return id;
      }
    }
  }
}

/** Completes a digit string with its Luhn check digit. */
export function luhnComplete(partial: string): string {
  let sum = 0;
  for (let i = 0; i < partial.length; i++) {
    let d = partial.charCodeAt(partial.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return partial + String((10 - (sum % 10)) % 10);
}

export function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** Valid foreign mobile numbers (Hong Kong, Singapore, UK) for relatives abroad. */
export function foreignMobile(rng: Rng): string {
  for (;;) {
    const n = foreignCandidate(rng);
    if (isValidE164(n)) return n;
  }
}

function foreignCandidate(rng: Rng): string {
  switch (rng.int(3)) {
    case 0:
      return '+852' + rng.pick(['5', '6', '9']) + String(rng.range(1000000, 9999999));
    case 1:
      return '+65' + rng.pick(['8', '9']) + String(rng.range(1000000, 9999999));
    default:
      return '+447' + rng.pick(['700', '800', '900', '911']) + String(rng.range(100000, 999999));
  }
}
