/**
 * The world simulator (`interdict simulate`, docs/simulator.md): a seeded, believable population of
 * phone subscribers and bank customers with social calling circles and everyday payments, and
 * planted fraud for every detector of docs/detection.md, written as the four input files of
 * docs/formats.md plus `truth.json` (what was planted, per detector, and where each victim's money
 * ended up: `funds`).
 *
 * The world (people, cards, accounts, the fraud infrastructure) is built in memory first: it is
 * proportional to `people`. Records are then generated one day at a time, sorted and streamed out,
 * so memory does not grow with `days`; only the planted money flows that spill into later days are
 * carried over.
 */
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import {
  DETECTORS,
  type CallOrigin,
  type DetectorName,
  type FundTruth,
  type SubjectKind,
  type Truth,
} from '../records.ts';
import { Rng } from './rng.ts';
import {
  BANKS,
  GATEWAY_TAC,
  Identifiers,
  MODULE_TAC,
  OPERATORS,
  REGIONS,
  foreignMobile,
  pad2,
  regionDistanceKm,
  weighted,
  type Bank,
  type Operator,
} from './world.ts';

export { REGIONS, OPERATORS, BANKS, cellRegion, regionDistanceKm } from './world.ts';
export { Rng } from './rng.ts';

export interface SimulateOptions {
  people: number;
  days: number;
  seed: number;
  outDir: string;
  /** ISO 8601 with offset; the first day starts here. Default DEFAULT_START (a Monday, midnight Beijing time). */
  start?: string;
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_START = '2026-11-02T00:00:00+08:00';
export const FILES = {
  cards: 'cards.csv',
  accounts: 'accounts.csv',
  calls: 'calls.csv',
  transactions: 'transactions.csv',
  truth: 'truth.json',
} as const;
export const HEADERS = {
  cards: 'msisdn,imsi,holder_id,holder_region,card_type,activated_at,operator,cancelled_at,outlet',
  accounts: 'account,institution,holder_id,account_type,opened_at',
  calls: 'ts,kind,caller,callee,duration_s,imsi,imei,cell_id,origin',
  transactions: 'ts,txn_id,payer_account,payee_account,amount,currency,channel',
} as const;

/** Ordinary sales outlets per region (`outletOf`); dealers' agent outlets are numbered after them. */
const OUTLETS_PER_REGION = 40;

/**
 * An ordinary card's outlet: one of its holder's region's, from its number (no draw of the world's
 * random sequence, so a seed gives the same world as before outlets were written).
 */
function outletOf(c: { msisdn: string; holderRegion: string }): string {
  let h = 0;
  for (let i = 0; i < c.msisdn.length; i++) h = (Math.imul(h, 31) + c.msisdn.charCodeAt(i)) | 0;
  return `${c.holderRegion}-${String(1 + ((h >>> 0) % OUTLETS_PER_REGION)).padStart(3, '0')}`;
}

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Beijing time: every timestamp is written with +08:00. */
const OFFSET = 8 * HOUR;
/** Calls per hour of the day (relative): quiet nights, busy days and evenings. */
const HOUR_WEIGHTS = [0.3, 0.15, 0.1, 0.08, 0.08, 0.2, 0.6, 1.5, 3, 4, 4.5, 4.5, 4, 3.5, 4, 4.5, 4.5, 4.5, 4.5, 5, 5, 4.5, 3, 1.2]; // prettier-ignore
/** Payments per hour of the day (relative). */
const PAY_WEIGHTS = [0.1, 0.05, 0.02, 0.02, 0.02, 0.05, 0.3, 1, 2, 3, 3.5, 4, 4.5, 3.5, 3, 3, 3, 3.5, 4.5, 5, 5, 4, 2.5, 0.8]; // prettier-ignore
/** Structuring: transfers kept just under this (yuan). */
const THRESHOLD_YUAN = 50_000;

interface Card {
  msisdn: string;
  imsi: string;
  /** The device the card is used in (not in the cards file; it shows in call records). */
  imei: string;
  holderId: string;
  holderRegion: string;
  type: 'consumer' | 'iot';
  activatedAt: number;
  operator: string;
  /** Set on a card its holder gave back (`plantReturnedCards`). */
  cancelledAt?: number;
  /** The dealer's outlet of a card opened in a burst; others get one of their region's (`outletOf`). */
  outlet?: string;
}

interface Account {
  account: string;
  institution: string;
  holderId: string;
  type: 'personal' | 'corporate';
  openedAt: number;
}

interface Person {
  region: number;
  id: string;
  homeCell: string;
  workCell: string;
  /** Primary number on the network outside the data: calls arrive `offnet`, no card in the cards file. */
  offnet: boolean;
  numbers: string[];
  cards: Card[];
  friends: number[];
  activity: number;
  account: string;
  employer: number;
  landlord: number;
  rentDay: number;
  rent: number;
  merchants: number[];
  abroad: string | null;
  /** Cards in this person's name (own and planted). */
  cardCount: number;
  /** Has a planted role: never picked as a victim, a decoy or a card holder for another plant. */
  special: boolean;
}

interface Employer {
  account: string;
  payday: number;
}

interface CallRow {
  ts: number;
  kind: 'voice' | 'sms';
  caller: string;
  callee: string;
  dur: number;
  imsi: string;
  imei: string;
  cell: string;
  origin: CallOrigin;
}

interface TxnRow {
  ts: number;
  payer: string;
  payee: string;
  /** fen */
  amount: number;
  channel: string;
  /** The victim (person index) paying a mule. */
  victim?: number;
  /** A payment into a mule network: its transaction id, set when the row is written. */
  id?: string;
}

/** Where one payment into a mule network ended up, built as the money moves (truth's `funds`). */
interface FundFlow {
  row: TxnRow;
  offData: boolean;
  held: Map<string, number>;
  cashedOut: number;
}

interface Gateway {
  imei: string;
  cell: string;
  sims: Card[];
  net: number;
}

interface Centre {
  region: number;
  cells: string[];
  cards: Card[];
  /** Per card: first day and number of days it is used. */
  firstDay: number[];
  span: number[];
  net: number;
}

interface IotDevice {
  card: Card;
  cell: string;
  platform: string;
  misuse: boolean;
}

interface Spoof {
  number: string;
  days: Set<number>;
  net: number;
  realOwner: boolean;
}

interface Clone {
  owner: number;
  card: Card;
  day: number;
  cell: string;
  imei: string;
}

interface Mule {
  account: string;
  cashOut: 'atm' | 'counter' | 'abroad';
  foreign: string;
}

/** A fraud number that called someone today: the source of a victim's long call. */
interface Source {
  msisdn: string;
  imsi: string;
  imei: string;
  cell: string;
  origin: CallOrigin;
  net: number;
  /** The calls it placed today (their times), so a victim call fits among them. */
  from: number;
  to: number;
}

type Planted = Truth['planted'];

/** Records written per file. */
export interface SimulateCounts {
  cards: number;
  accounts: number;
  calls: number;
  transactions: number;
}

/** Builds the world and writes it to `outDir`. Same options, same bytes. */
export async function simulate(opts: SimulateOptions): Promise<Truth> {
  return (await simulateWorld(opts)).truth;
}

/** `simulate`, also telling how many records each file got. */
export async function simulateWorld(
  opts: SimulateOptions,
): Promise<{ truth: Truth; counts: SimulateCounts }> {
  const sim = new Simulation(opts);
  const truth = await sim.run();
  return { truth, counts: { ...sim.written } };
}

class Simulation {
  private readonly rng: Rng;
  private readonly ids: Identifiers;
  private readonly start: number;
  private readonly end: number;
  private readonly people: Person[] = [];
  private readonly byRegion: number[][] = REGIONS.map(() => []);
  private readonly cards: Card[] = [];
  private readonly accounts: Account[] = [];
  private readonly employers: Employer[] = [];
  private readonly merchants: string[] = [];
  // planted
  private readonly gateways: Gateway[] = [];
  private readonly centres: Centre[] = [];
  private readonly iot: IotDevice[] = [];
  private readonly spoofs: Spoof[] = [];
  private readonly clones: Clone[] = [];
  private readonly sellers: number[] = [];
  private readonly bursts: { cards: Card[]; region: string; operator: string; at: number }[] = [];
  private readonly nets: Mule[][][] = [];
  private readonly muleAt = new Map<string, { net: number; layer: number }>();
  private readonly victimDay: number[] = [];
  /** Victims of scams outside the data and decoys: person and day. Never called by fraud numbers. */
  private readonly offDataVictims: { person: number; day: number }[] = [];
  private readonly decoys: { person: number; day: number; merchant: string }[] = [];
  private readonly shielded: Uint8Array;
  /** Draws for `plantForwards` alone, so that the rest of the world is as without them. */
  private readonly forwardRng: Rng;
  /** Draws for `plantOwnMoves` alone, likewise. */
  private readonly ownMoveRng: Rng;
  /** Draws for `plantCollections` alone, likewise. */
  private readonly collectRng: Rng;
  /** Draws for the couriers (`plantCouriers`, `courierTraffic`) alone, likewise. */
  private readonly courierRng: Rng;
  /** Couriers and migrant couriers; `rng`: the generator their plant drew them from, for their traffic. */
  private readonly couriers: { person: number; card: Card; cells: string[]; rng: Rng }[] = [];
  /** Draws for the migrants (`plantMigrants`) and their couriers alone, likewise. */
  private readonly migrantRng: Rng;
  /** Each ordinary person's personal accounts beside their main one (`plantOwnMoves`), by person. */
  private otherAccounts: Map<string, string[]> | null = null;
  // running state
  private contacted: Uint8Array;
  private readonly fraudUsed = new Set<string>();
  private readonly muleFlow = new Map<string, { in: number; out: number }>();
  private readonly victims: { person: number; source: string; net: number }[] = [];
  private readonly victimPaid = new Set<number>();
  private readonly funds: FundFlow[] = [];
  private readonly pending = new Map<number, { calls: CallRow[]; txns: TxnRow[] }>();
  private day = 0;
  private dayStart = 0;
  private calls: CallRow[] = [];
  private txns: TxnRow[] = [];
  private firstTs = Infinity;
  private lastTs = -Infinity;
  private readonly counts: SimulateCounts = { cards: 0, accounts: 0, calls: 0, transactions: 0 };

  constructor(private readonly opts: SimulateOptions) {
    const { people, days, seed } = opts;
    if (!Number.isInteger(people) || people < 1000)
      throw new RangeError('people must be a whole number ≥ 1000');
    if (people > 5_000_000) throw new RangeError('people must be at most 5,000,000');
    if (!Number.isInteger(days) || days < 1 || days > 366) throw new RangeError('days must be 1–366');
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new RangeError('seed must be 0–4294967295');
    const startText = opts.start ?? DEFAULT_START;
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(startText))
      throw new RangeError('start must be an ISO 8601 time with offset, e.g. 2026-11-02T00:00:00+08:00');
    const start = Date.parse(startText);
    if (!Number.isFinite(start)) throw new RangeError('start is not a valid time');
    this.start = Math.floor(start / SEC) * SEC;
    this.end = this.start + days * DAY;
    this.rng = new Rng(seed);
    this.ids = new Identifiers(this.rng.int(1_000_000));
    this.contacted = new Uint8Array(people);
    this.shielded = new Uint8Array(people);
    this.forwardRng = new Rng((seed ^ 0x0f0e1a7d) >>> 0);
    this.ownMoveRng = new Rng((seed ^ 0x0c0ffee5) >>> 0);
    this.collectRng = new Rng((seed ^ 0x0aa5c011) >>> 0);
    this.courierRng = new Rng((seed ^ 0x0c0a1e75) >>> 0);
    this.migrantRng = new Rng((seed ^ 0x0e1a2a7e) >>> 0);
  }

  async run(): Promise<Truth> {
    const { outDir, days, people } = this.opts;
    mkdirSync(outDir, { recursive: true });
    this.buildPeople();
    this.buildAccounts();
    this.plant();
    this.plantReturnedCards();
    this.plantCouriers();
    this.plantMigrants();

    await this.writeReference(join(outDir, FILES.cards), HEADERS.cards, this.cardLines());
    await this.writeReference(join(outDir, FILES.accounts), HEADERS.accounts, this.accountLines());

    const callsOut = createWriteStream(join(outDir, FILES.calls));
    const txnsOut = createWriteStream(join(outDir, FILES.transactions));
    try {
      await write(callsOut, HEADERS.calls + '\n');
      await write(txnsOut, HEADERS.transactions + '\n');
      const total = days * people;
      for (let d = 0; d < days; d++) {
        this.day = d;
        this.dayStart = this.start + d * DAY;
        const carried = this.pending.get(d);
        this.pending.delete(d);
        this.calls = carried?.calls ?? [];
        this.txns = carried?.txns ?? [];
        this.generateDay((done) => this.opts.onProgress?.(d * people + done, total));
        await this.flushDay(callsOut, txnsOut);
        this.opts.onProgress?.((d + 1) * people, total);
      }
    } finally {
      await Promise.all([close(callsOut), close(txnsOut)]);
    }
    const truth = this.truth();
    writeFileSync(join(outDir, FILES.truth), JSON.stringify(truth, null, 2) + '\n');
    return truth;
  }

  /** Records written per file (after `run`). */
  get written(): Readonly<SimulateCounts> {
    return this.counts;
  }

  // --- the population --------------------------------------------------------------------------

  private buildPeople(): void {
    const { rng, ids } = this;
    const n = this.opts.people;
    const weights = REGIONS.map((r) => r.weight);
    const regionOf: number[] = [];
    for (let p = 0; p < n; p++) {
      const r = weighted(rng, weights);
      regionOf.push(r);
      this.byRegion[r]!.push(p);
    }
    const cellsIn = this.byRegion.map((list) => Math.max(10, Math.ceil(list.length / 300)));
    for (let p = 0; p < n; p++) {
      const r = regionOf[p]!;
      const region = REGIONS[r]!;
      const id = ids.identity(rng, region.code);
      const offnet = rng.chance(0.05);
      const person: Person = {
        region: r,
        id,
        homeCell: cellId(region.code, rng.int(cellsIn[r]!)),
        workCell: cellId(region.code, rng.int(cellsIn[r]!)),
        offnet,
        numbers: [],
        cards: [],
        friends: [],
        activity: Math.min(4, Math.max(0.15, rng.logNormal(1, 0.55))),
        account: '',
        employer: -1,
        landlord: -1,
        rentDay: 0,
        rent: 0,
        merchants: [],
        abroad: rng.chance(0.01) ? foreignMobile(rng) : null,
        cardCount: 0,
        special: false,
      };
      if (offnet) {
        person.numbers.push(ids.offnetNumber());
      } else {
        const x = rng.next();
        const count = x < 0.8 ? 1 : x < 0.97 ? 2 : rng.range(3, 4);
        for (let i = 0; i < count; i++) {
          const recent = rng.chance(0.02);
          const activatedAt = recent
            ? this.start - rng.range(1, 29) * DAY - rng.int(DAY / SEC) * SEC
            : this.start - rng.range(30, 15 * 365) * DAY - rng.int(DAY / SEC) * SEC;
          const card = this.newCard(pickOperator(rng), person, activatedAt);
          person.cards.push(card);
          person.numbers.push(card.msisdn);
        }
      }
      this.people.push(person);
    }
    // Social circles: mostly in the home region, symmetric, 5–30 people.
    for (let p = 0; p < n; p++) {
      const k = this.rng.range(2, 12);
      for (let i = 0; i < k; i++) this.befriend(p, this.acquaintance(p));
    }
    for (let p = 0; p < n; p++) {
      let guard = 0;
      while (this.people[p]!.friends.length < 5 && guard++ < 50) this.befriend(p, this.acquaintance(p));
    }
  }

  private acquaintance(p: number): number {
    const person = this.people[p]!;
    if (this.rng.chance(0.8)) return this.rng.pick(this.byRegion[person.region]!);
    return this.rng.int(this.opts.people);
  }

  private befriend(p: number, q: number): void {
    if (p === q) return;
    const a = this.people[p]!;
    const b = this.people[q]!;
    if (a.friends.length >= 30 || b.friends.length >= 30 || a.friends.includes(q)) return;
    a.friends.push(q);
    b.friends.push(p);
  }

  private newCard(op: Operator, holder: Person, activatedAt: number, imei?: string): Card {
    const { msisdn, imsi } = this.ids.consumerCard(this.rng, op);
    const card: Card = {
      msisdn,
      imsi,
      imei: imei ?? this.ids.imei(),
      holderId: holder.id,
      holderRegion: REGIONS[holder.region]!.code,
      type: 'consumer',
      activatedAt,
      operator: op.name,
    };
    holder.cardCount++;
    this.cards.push(card);
    return card;
  }

  private newAccount(bank: Bank, holderId: string, type: Account['type'], openedAt: number): string {
    const account = this.ids.account(bank);
    this.accounts.push({ account, institution: bank.name, holderId, type, openedAt });
    return account;
  }

  private longAgo(minDays: number, maxDays: number): number {
    return this.start - this.rng.range(minDays, maxDays) * DAY - this.rng.int(DAY / SEC) * SEC;
  }

  private buildAccounts(): void {
    const { rng } = this;
    const n = this.opts.people;
    const bankWeights = BANKS.map((b) => b.share);
    const randomHolder = () => this.people[rng.int(n)]!.id;
    const nEmployers = Math.max(20, Math.round(n / 200));
    for (let i = 0; i < nEmployers; i++) {
      const account = this.newAccount(
        BANKS[weighted(rng, bankWeights)]!,
        randomHolder(),
        'corporate',
        this.longAgo(400, 6000),
      );
      this.employers.push({ account, payday: rng.range(1, 28) });
    }
    const nMerchants = Math.max(30, Math.round(n / 150));
    for (let i = 0; i < nMerchants; i++) {
      this.merchants.push(
        this.newAccount(
          BANKS[weighted(rng, bankWeights)]!,
          randomHolder(),
          'corporate',
          this.longAgo(200, 6000),
        ),
      );
    }
    for (let p = 0; p < n; p++) {
      const person = this.people[p]!;
      const count = rng.chance(0.6) ? 1 : rng.range(2, 3);
      const used = new Set<number>();
      for (let i = 0; i < count; i++) {
        const b = weighted(rng, bankWeights);
        if (used.has(b)) continue;
        used.add(b);
        const account = this.newAccount(BANKS[b]!, person.id, 'personal', this.longAgo(60, 7000));
        if (!person.account) person.account = account;
      }
      if (rng.chance(0.75)) person.employer = rng.int(this.employers.length);
      if (rng.chance(0.35)) {
        const q = rng.pick(this.byRegion[person.region]!);
        if (q !== p) {
          person.landlord = q;
          person.rentDay = rng.range(1, 28);
          person.rent = rng.range(15, 80) * 100 * 100;
        }
      }
      const favourites = rng.range(4, 8);
      for (let i = 0; i < favourites; i++) person.merchants.push(rng.int(this.merchants.length));
    }
  }

  /** An ordinary person: no plant yet, a card in the data, at most 4 cards. */
  private ordinary(filter?: (p: Person, i: number) => boolean): number {
    for (let guard = 0; guard < 100_000; guard++) {
      const i = this.rng.int(this.opts.people);
      const p = this.people[i]!;
      if (!p.special && !p.offnet && p.cardCount <= 4 && (!filter || filter(p, i))) return i;
    }
    throw new Error('the world is too small for its plants');
  }

  // --- planting --------------------------------------------------------------------------------

  /**
   * Holders who gave cards back: ordinary people with 2 to 4 cards, and cancelled cards in their
   * name (cancelled 30 days to 2.5 years before the start) bringing the cards they ever held to 6
   * or 7. Over the limit only when cancellations are ignored: `card_limit` must judge them on the
   * cards they hold, and they are not in the truth. Drawn after everything else from a generator
   * of their own, touching nothing the days read, so the rest of the world is as without them.
   */
  private plantReturnedCards(): void {
    const rng = new Rng((this.opts.seed ^ 0x5a17c0de) >>> 0);
    const eligible = (p: Person) => !p.special && !p.offnet && p.cards.length >= 2 && p.cardCount <= 4;
    this.eachPicked(rng, eligible, (p) => {
      const total = rng.range(6, 7);
      for (let k = p.cardCount; k < total; k++) {
        const op = OPERATORS[rng.int(OPERATORS.length)]!;
        const { msisdn, imsi } = this.ids.consumerCard(rng, op);
        const cancelledAt = this.start - rng.range(30, 900) * DAY - rng.int(DAY / SEC) * SEC;
        this.cards.push({
          msisdn,
          imsi,
          imei: '',
          holderId: p.id,
          holderRegion: REGIONS[p.region]!.code,
          type: 'consumer',
          activatedAt: cancelledAt - rng.range(30, 2000) * DAY,
          operator: op.name,
          cancelledAt,
        });
      }
    });
  }

  /**
   * Draws distinct people with `rng` until one per 1,000 (at least two) passed `eligible`, calling
   * `each` on each as it is drawn (so the draws `each` makes interleave as they always have).
   */
  private eachPicked(rng: Rng, eligible: (p: Person) => boolean, each: (p: Person, i: number) => void): void {
    const n = this.opts.people;
    const want = Math.max(2, Math.round(n / 1000));
    const picked = new Set<number>();
    for (let guard = 0; picked.size < want && guard < 100_000; guard++) {
      const i = rng.int(n);
      const p = this.people[i]!;
      if (picked.has(i) || !eligible(p)) continue;
      picked.add(i);
      each(p, i);
    }
  }

  /**
   * Couriers (about one per 1,000 people; since 2026-12-03): ordinary people with a work card of
   * their own name beside their personal ones, in a phone of its own, that calls the day's
   * recipients in their delivery area: 30 to 80 short calls (15 to 60 s, one in ten an SMS) to
   * strangers of their region between 08:30 and 19:30, six days in seven, from 4 to 8 cells of
   * the area; one recipient in twelve calls back within half an hour. Half the cards are new (a
   * new hire: activated 1 to 30 days before the start), half 60 days to 2.5 years old. In the
   * records alone: a card mass-calling strangers with short calls and few calls back, what a
   * fraud call centre's card looks like (`fraud_caller`), but at home. Drawn from a generator of
   * their own after the rest of the world is built, so the rest is as without them; not in the
   * truth.
   */
  private plantCouriers(): void {
    const rng = this.courierRng;
    this.eachPicked(
      rng,
      (p) => !p.special && !p.offnet && p.cardCount <= 3,
      (p, i) => this.courierCard(rng, p, i, REGIONS[p.region]!.code),
    );
  }

  /** A courier's work card in `holderRegion`'s name, its phone and its delivery area's cells. */
  private courierCard(rng: Rng, p: Person, i: number, holderRegion: string): void {
    const op = OPERATORS[rng.int(OPERATORS.length)]!;
    const { msisdn, imsi } = this.ids.consumerCard(rng, op);
    const activatedAt = rng.chance(0.5)
      ? this.start - rng.range(1, 30) * DAY - rng.int(DAY / SEC) * SEC
      : this.start - rng.range(60, 900) * DAY - rng.int(DAY / SEC) * SEC;
    const card: Card = {
      msisdn,
      imsi,
      imei: this.ids.imei(),
      holderId: p.id,
      holderRegion,
      type: 'consumer',
      activatedAt,
      operator: op.name,
    };
    this.cards.push(card);
    const inRegion = Math.max(10, Math.ceil(this.byRegion[p.region]!.length / 300));
    const cells = new Set<string>();
    for (let k = rng.range(4, 8); cells.size < k;)
      cells.add(cellId(REGIONS[p.region]!.code, rng.int(inRegion)));
    this.couriers.push({ person: i, card, cells: [...cells], rng });
  }

  /**
   * Migrants (since 2026-12-03): one ordinary person in twenty lives and works away from the region
   * their identity is registered in: their identity number is of that home region, and each of
   * their cards carries it as its holder_region while it is used, and votes, on the cells where
   * they live. One per 1,000 people (at least two) of them is a courier (`plantCouriers`) whose
   * work card, in their own name, also carries the home region: a card calling strangers far from
   * its holder's region, which is what a dealt card in a fraud centre looks like (`fraud_caller`),
   * except that its holder's everyday card is used in the same place. Drawn from a generator of
   * their own after the rest of the world is built: every record is as without them but the
   * migrants' identity numbers and holder regions, the migrant couriers' own cards and calls, and
   * the calls back to them. Not in the truth.
   */
  private plantMigrants(): void {
    const rng = this.migrantRng;
    const weights = REGIONS.map((x) => x.weight);
    const courier = new Set(this.couriers.map((c) => c.person));
    const home = new Map<Person, string>();
    /** Old identity number → the one registered in the home region. */
    const renamed = new Map<string, { id: string; region: string }>();
    for (let i = 0; i < this.people.length; i++) {
      const p = this.people[i]!;
      if (!rng.chance(1 / 20) || p.special || p.offnet || courier.has(i)) continue;
      const r = weighted(rng, weights);
      if (r === p.region) continue;
      const region = REGIONS[r]!.code;
      const id = this.ids.identity(rng, region);
      renamed.set(p.id, { id, region });
      home.set(p, region);
      p.id = id;
    }
    // Their cards and accounts (corporate ones a person holds among them) carry the new identity.
    for (const c of this.cards) {
      const to = renamed.get(c.holderId);
      if (to !== undefined) {
        c.holderId = to.id;
        c.holderRegion = to.region;
      }
    }
    for (const a of this.accounts) a.holderId = renamed.get(a.holderId)?.id ?? a.holderId;
    this.eachPicked(
      rng,
      (p) => p.cardCount <= 3 && home.has(p),
      (p, i) => this.courierCard(rng, p, i, home.get(p)!),
    );
  }

  /** A day of the couriers' calls (`plantCouriers`). */
  private courierTraffic(weekday: boolean): void {
    for (const c of this.couriers) {
      const rng = c.rng;
      if (!rng.chance(6 / 7)) continue;
      const area = this.byRegion[this.people[c.person]!.region]!;
      const calls = rng.range(30, 80);
      for (let i = 0; i < calls; i++) {
        const ts = this.dayStart + (8.5 * 3600 + rng.int(11 * 3600)) * SEC;
        const q = rng.pick(area);
        if (q === c.person) continue;
        const to = this.people[q]!;
        const sms = rng.chance(0.1);
        const dur = sms ? 0 : rng.range(15, 60);
        this.emitCall({
          ts,
          kind: sms ? 'sms' : 'voice',
          caller: c.card.msisdn,
          callee: to.numbers[0]!,
          dur,
          imsi: c.card.imsi,
          imei: c.card.imei,
          cell: rng.pick(c.cells),
          origin: 'onnet',
        });
        if (!sms && rng.chance(1 / 12)) {
          const back = ts + dur * SEC + rng.range(1, 30) * MIN;
          if (back < this.dayStart + DAY)
            this.personCall(q, back, c.card.msisdn, 'voice', rng.range(10, 40), weekday, rng);
        }
      }
    }
  }

  private plant(): void {
    const { rng } = this;
    const n = this.opts.people;
    const days = this.opts.days;
    const scaled = (per: number, floor: number) => Math.max(floor, Math.round(n / per));

    // Mule networks: one per gateway and per call centre; 2–6 layers, the last one cashes out.
    const nGateways = scaled(50_000, 2);
    const nCentres = scaled(40_000, 2);
    for (let i = 0; i < nGateways + nCentres; i++) this.nets.push(this.muleNetwork(i));

    // SIM boxes: one gateway IMEI at one fixed cell, 16–64 cards of one operator.
    const maxSims = Math.min(64, 16 + Math.floor(n / 1000));
    for (let g = 0; g < nGateways; g++) {
      const r = weighted(
        rng,
        REGIONS.map((x) => x.weight),
      );
      const code = REGIONS[r]!.code;
      const imei = this.ids.imei(GATEWAY_TAC);
      const op = pickOperator(rng);
      const sims: Card[] = [];
      const count = rng.range(16, maxSims);
      for (let i = 0; i < count; i++) {
        const holder = this.people[this.ordinary((p) => p.cardCount <= 3)]!;
        holder.special = true;
        sims.push(this.newCard(op, holder, this.longAgo(20, 200), imei));
      }
      this.gateways.push({ imei, cell: cellId(code, 9000 + g), sims, net: g });
    }

    // Call centres with cards bought from dealers: holders far away, each holding 6–10 cards.
    const cardsPerCentre = Math.min(60, Math.max(8, Math.round(n / 5000)));
    for (let c = 0; c < nCentres; c++) {
      const r = rng.int(REGIONS.length);
      const code = REGIONS[r]!.code;
      const centre: Centre = {
        region: r,
        cells: [cellId(code, 9100 + c * 3), cellId(code, 9101 + c * 3), cellId(code, 9102 + c * 3)],
        cards: [],
        firstDay: [],
        span: [],
        net: nGateways + c,
      };
      const phones = Array.from({ length: Math.ceil(cardsPerCentre / 4) }, () => this.ids.imei());
      let seller: Person | null = null;
      let left = 0;
      while (centre.cards.length < cardsPerCentre) {
        if (!seller || left === 0) {
          const s = this.ordinary((p) => p.cardCount <= 2 && far(p.region, r));
          seller = this.people[s]!;
          seller.special = true;
          this.sellers.push(s);
          left = rng.range(6, 10);
        }
        const first = rng.int(days);
        const activatedAt = this.start + first * DAY - rng.range(1, 15) * DAY - rng.int(DAY / SEC) * SEC;
        const phone = phones[centre.cards.length % phones.length]!;
        centre.cards.push(this.newCard(pickOperator(rng), seller, activatedAt, phone));
        centre.firstDay.push(first);
        centre.span.push(rng.range(1, 2));
        left--;
      }
      // A dealer sells all the cards of a holder: the last holder's remaining ones are stocked, unused.
      while (seller && left-- > 0) {
        const activatedAt = this.start - rng.range(1, 15) * DAY - rng.int(DAY / SEC) * SEC;
        this.newCard(pickOperator(rng), seller, activatedAt);
      }
      this.centres.push(centre);
    }

    // IoT cards: meters and trackers that report by SMS to their platform; a few are misused for calls.
    const nIot = scaled(200, 10);
    const nMisuse = scaled(20_000, 3);
    for (let i = 0; i < nIot + nMisuse; i++) {
      const op = pickOperator(rng);
      const r = rng.int(REGIONS.length);
      const { msisdn, imsi } = this.ids.iotCard(rng, op);
      const card: Card = {
        msisdn,
        imsi,
        imei: this.ids.imei(MODULE_TAC),
        holderId: '',
        holderRegion: REGIONS[r]!.code,
        type: 'iot',
        activatedAt: this.longAgo(30, 2000),
        operator: op.name,
      };
      this.cards.push(card);
      this.iot.push({
        card,
        cell: cellId(REGIONS[r]!.code, rng.int(10)),
        platform:
          i % 25 === 0 || this.iot.length === 0
            ? this.ids.platformNumber()
            : this.iot[this.iot.length - 1]!.platform,
        misuse: i >= nIot,
      });
    }

    // Spoofing: domestic numbers presented on calls through international gateways; cloned numbers.
    const nSpoof = scaled(20_000, 3);
    for (let i = 0; i < nSpoof; i++) {
      const realOwner = i % 2 === 0;
      let number: string;
      if (realOwner) {
        const o = this.people[this.ordinary()]!;
        o.special = true;
        number = o.numbers[0]!;
      } else {
        number = this.ids.unassignedNumber();
      }
      const active = new Set<number>([rng.int(days)]);
      if (days > 1 && rng.chance(0.5)) active.add(rng.int(days));
      this.spoofs.push({ number, days: active, net: rng.int(this.nets.length), realOwner });
    }
    const nClones = scaled(40_000, 2);
    for (let i = 0; i < nClones; i++) {
      const owner = this.ordinary();
      const o = this.people[owner]!;
      o.special = true;
      const farRegions = REGIONS.map((_, j) => j).filter(
        (j) => (regionDistanceKm(REGIONS[o.region]!.code, REGIONS[j]!.code) ?? 0) > 800,
      );
      const r = rng.pick(farRegions);
      this.clones.push({
        owner,
        card: o.cards[0]!,
        day: rng.int(days),
        cell: cellId(REGIONS[r]!.code, rng.int(10)),
        imei: this.ids.imei(),
      });
    }

    // Bursts of activations: 15–30 cards within ten minutes at one operator in one region.
    const nBursts = scaled(50_000, 2);
    for (let b = 0; b < nBursts; b++) {
      const r = weighted(
        rng,
        REGIONS.map((x) => x.weight),
      );
      const op = pickOperator(rng);
      const at = this.start - 20 * DAY + rng.int((20 + days) * 24 - 1) * HOUR + rng.int(3600) * SEC;
      const cards: Card[] = [];
      const count = rng.range(15, 30);
      for (let i = 0; i < count; i++) {
        const holder = this.people[this.ordinary((p) => p.cardCount <= 3)]!;
        holder.special = true;
        const card = this.newCard(op, holder, at + rng.int(600) * SEC);
        // An agent outlet of the region, none of the ordinary ones (`outletOf`).
        card.outlet = `${REGIONS[r]!.code}-${String(OUTLETS_PER_REGION + 1 + (b % 10)).padStart(3, '0')}`;
        cards.push(card);
      }
      this.bursts.push({ cards, region: REGIONS[r]!.code, operator: op.name, at });
    }

    // Victims (called, then paying a mule), victims of scams outside the data, and decoys.
    const nVictims = scaled(500, 10);
    for (let i = 0; i < nVictims; i++) this.victimDay.push(rng.int(days));
    for (let i = 0; i < nVictims; i++)
      this.offDataVictims.push({ person: this.shield(), day: rng.int(days) });
    const nDecoys = scaled(1000, 6);
    const bankWeights = BANKS.map((b) => b.share);
    for (let i = 0; i < nDecoys; i++) {
      const bank = BANKS[weighted(rng, bankWeights)]!;
      const merchant = this.newAccount(bank, this.people[rng.int(n)]!.id, 'corporate', this.longAgo(1, 20));
      this.decoys.push({ person: this.shield(), day: rng.int(days), merchant });
    }
  }

  /** An ordinary person who will never get a fraud call. */
  private shield(): number {
    const p = this.ordinary();
    this.people[p]!.special = true;
    this.shielded[p] = 1;
    return p;
  }

  private muleNetwork(index: number): Mule[][] {
    const { rng } = this;
    const layers: Mule[][] = [];
    const depth = rng.range(2, 6);
    for (let l = 0; l < depth; l++) {
      const width = l === 0 ? rng.range(3, 6) : rng.range(2, 4);
      const layer: Mule[] = [];
      for (let i = 0; i < width; i++) {
        const holder = this.people[this.ordinary()]!;
        holder.special = true;
        const shell = rng.chance(0.25);
        const bank = BANKS[rng.int(BANKS.length)]!;
        const account = this.newAccount(
          bank,
          holder.id,
          shell ? 'corporate' : 'personal',
          this.longAgo(shell ? 10 : 3, shell ? 90 : 60),
        );
        const x = rng.next();
        const cashOut = x < 0.45 ? 'atm' : x < 0.75 ? 'counter' : 'abroad';
        layer.push({ account, cashOut, foreign: this.ids.foreignAccount() });
        this.muleAt.set(account, { net: index, layer: l });
      }
      layers.push(layer);
    }
    return layers;
  }

  // --- one day ---------------------------------------------------------------------------------

  private generateDay(progress: (done: number) => void): void {
    const n = this.opts.people;
    const local = new Date(this.dayStart + OFFSET);
    const weekday = local.getUTCDay() >= 1 && local.getUTCDay() <= 5;
    const dom = local.getUTCDate();
    for (let p = 0; p < n; p++) {
      this.legitCalls(p, weekday);
      if ((p + 1) % 10_000 === 0) progress(p + 1);
    }
    this.iotTraffic();
    const sources: Source[] = [];
    this.simboxTraffic(sources);
    this.centreTraffic(sources);
    this.spoofTraffic(sources);
    this.cloneTraffic();
    this.plantVictims(sources);
    for (let p = 0; p < n; p++) this.legitPayments(p, dom);
    this.plantOffDataVictims();
    this.plantDecoys();
    this.plantForwards();
    this.plantOwnMoves();
    this.plantCollections();
    this.courierTraffic(weekday);
  }

  private second(weights: readonly number[]): number {
    const h = weighted(this.rng, weights);
    return this.dayStart + (h * 3600 + this.rng.int(3600)) * SEC;
  }

  private emitCall(row: CallRow): void {
    if (row.ts < this.dayStart + DAY) this.calls.push(row);
    else if (row.ts < this.end) this.later(row.ts).calls.push(row);
  }

  /** Queues a transaction for its day; false when it falls past the end (it is not written). */
  private emitTxn(row: TxnRow): boolean {
    if (row.ts < this.dayStart + DAY) this.txns.push(row);
    else if (row.ts < this.end) this.later(row.ts).txns.push(row);
    else return false;
    return true;
  }

  private later(ts: number): { calls: CallRow[]; txns: TxnRow[] } {
    const d = Math.floor((ts - this.start) / DAY);
    let bucket = this.pending.get(d);
    if (!bucket) {
      bucket = { calls: [], txns: [] };
      this.pending.set(d, bucket);
    }
    return bucket;
  }

  /** A call placed by person `p` (from their card, at their home or work cell). */
  private personCall(
    p: number,
    ts: number,
    callee: string,
    kind: 'voice' | 'sms',
    dur: number,
    weekday: boolean,
    rng: Rng = this.rng,
  ): void {
    const person = this.people[p]!;
    if (person.offnet) {
      this.emitCall({
        ts,
        kind,
        caller: person.numbers[0]!,
        callee,
        dur,
        imsi: '',
        imei: '',
        cell: '',
        origin: 'offnet',
      });
      return;
    }
    const card = person.cards.length > 1 && rng.chance(0.2) ? person.cards[1]! : person.cards[0]!;
    const hour = Math.floor((ts - this.dayStart) / HOUR);
    const cell = weekday && hour >= 9 && hour < 18 ? person.workCell : person.homeCell;
    this.emitCall({
      ts,
      kind,
      caller: card.msisdn,
      callee,
      dur,
      imsi: card.imsi,
      imei: card.imei,
      cell,
      origin: 'onnet',
    });
  }

  private numberOf(q: number): string {
    const person = this.people[q]!;
    return person.numbers.length > 1 && this.rng.chance(0.15) ? person.numbers[1]! : person.numbers[0]!;
  }

  private legitCalls(p: number, weekday: boolean): void {
    const { rng } = this;
    const person = this.people[p]!;
    const voice = rng.poisson(3.4 * person.activity);
    const sms = rng.poisson(1.5 * person.activity);
    const dayEnd = this.dayStart + DAY;
    for (let i = 0; i < voice + sms; i++) {
      const isVoice = i < voice;
      const ts = this.second(HOUR_WEIGHTS);
      const q = this.contact(p);
      const dur = isVoice ? Math.min(3600, Math.max(3, Math.round(rng.logNormal(70, 1.0)))) : 0;
      this.personCall(p, ts, this.numberOf(q), isVoice ? 'voice' : 'sms', dur, weekday);
      // Two-way circles: a reply or a call back within the hour or so.
      if (rng.chance(isVoice ? 0.2 : 0.35)) {
        const back = ts + dur * SEC + Math.round(rng.exp(isVoice ? 40 : 5) * 60 + 20) * SEC;
        if (back < dayEnd) {
          const bdur = isVoice ? Math.min(3600, Math.max(3, Math.round(rng.logNormal(60, 1.0)))) : 0;
          this.personCall(q, back, person.numbers[0]!, isVoice ? 'voice' : 'sms', bdur, weekday);
        }
      }
    }
    if (person.abroad) {
      if (rng.chance(0.25)) {
        const ts = this.second(HOUR_WEIGHTS);
        const dur = Math.max(5, Math.round(rng.logNormal(300, 0.8)));
        this.emitCall({
          ts,
          kind: 'voice',
          caller: person.abroad,
          callee: person.numbers[0]!,
          dur,
          imsi: '',
          imei: '',
          cell: '',
          origin: 'intl',
        });
      }
      if (rng.chance(0.15)) {
        this.personCall(
          p,
          this.second(HOUR_WEIGHTS),
          person.abroad,
          'voice',
          Math.max(5, Math.round(rng.logNormal(240, 0.8))),
          weekday,
        );
      }
    }
  }

  /** Whom `p` calls: mostly the closest of their circle, sometimes someone nearby they do not know. */
  private contact(p: number): number {
    const person = this.people[p]!;
    const r = this.rng.next();
    if (r < 0.96 && person.friends.length > 0) {
      const x = this.rng.next();
      return person.friends[Math.floor(person.friends.length * x * x)]!;
    }
    const q = this.rng.pick(this.byRegion[person.region]!);
    return q === p ? (person.friends[0] ?? q) : q;
  }

  /** Someone a fraud number calls: anyone but the shielded. */
  private stranger(): number {
    for (;;) {
      const q = this.rng.int(this.opts.people);
      if (this.shielded[q] === 0) return q;
    }
  }

  private fraudCall(row: CallRow, callee: number): void {
    this.contacted[callee] = 1;
    this.emitCall(row);
    // A few call back (fewer than for ordinary calls).
    if (row.kind === 'voice' && this.rng.chance(0.02)) {
      const back = row.ts + row.dur * SEC + this.rng.range(2, 120) * MIN;
      if (back < this.dayStart + DAY)
        this.personCall(callee, back, row.caller, 'voice', this.rng.range(3, 40), false);
    }
  }

  private iotTraffic(): void {
    const { rng } = this;
    for (const dev of this.iot) {
      const c = dev.card;
      if (rng.chance(0.6)) {
        const reports = rng.range(1, 4);
        for (let i = 0; i < reports; i++) {
          const ts = this.dayStart + rng.int(DAY / SEC) * SEC;
          this.emitCall({
            ts,
            kind: 'sms',
            caller: c.msisdn,
            callee: dev.platform,
            dur: 0,
            imsi: c.imsi,
            imei: c.imei,
            cell: dev.cell,
            origin: 'onnet',
          });
        }
      }
      if (!dev.misuse) continue;
      const voice = rng.range(20, 60);
      const sms = rng.range(5, 20);
      for (let i = 0; i < voice + sms; i++) {
        const q = this.stranger();
        const isVoice = i < voice;
        const ts = this.dayStart + (8 * 3600 + rng.int(13 * 3600)) * SEC;
        const dur = isVoice ? rng.range(5, 180) : 0;
        this.fraudUsed.add(c.msisdn);
        this.emitCall({
          ts,
          kind: isVoice ? 'voice' : 'sms',
          caller: c.msisdn,
          callee: this.numberOf(q),
          dur,
          imsi: c.imsi,
          imei: c.imei,
          cell: dev.cell,
          origin: 'onnet',
        });
      }
    }
  }

  private simboxTraffic(sources: Source[]): void {
    const { rng } = this;
    const n = this.opts.people;
    const perSim = Math.min(140, Math.max(30, Math.floor(n / 40)));
    for (const g of this.gateways) {
      for (const sim of g.sims) {
        const count = rng.range(Math.floor(perSim * 0.7), perSim);
        const interval = rng.range(180, 360);
        const from = this.dayStart + (9 * 3600 + rng.int(3600)) * SEC;
        let last = from;
        for (let i = 0; i < count; i++) {
          const ts = from + (i * interval + rng.int(3)) * SEC;
          if (ts >= this.dayStart + 22 * HOUR) break;
          const q = this.stranger();
          const dur = Math.min(interval - 5, Math.max(1, Math.round(rng.logNormal(25, 0.8))));
          this.fraudCall(
            {
              ts,
              kind: 'voice',
              caller: sim.msisdn,
              callee: this.numberOf(q),
              dur,
              imsi: sim.imsi,
              imei: g.imei,
              cell: g.cell,
              origin: 'onnet',
            },
            q,
          );
          last = ts;
        }
        sources.push({
          msisdn: sim.msisdn,
          imsi: sim.imsi,
          imei: g.imei,
          cell: g.cell,
          origin: 'onnet',
          net: g.net,
          from,
          to: last,
        });
      }
    }
  }

  private centreTraffic(sources: Source[]): void {
    const { rng } = this;
    const n = this.opts.people;
    const perCard = Math.min(150, Math.max(25, Math.floor(n / 40)));
    for (const c of this.centres) {
      c.cards.forEach((card, i) => {
        const first = c.firstDay[i]!;
        if (this.day < first || this.day >= first + c.span[i]!) return;
        const cell = rng.pick(c.cells);
        const count = rng.range(Math.floor(perCard * 0.6), perCard);
        let t = this.dayStart + (9 * 3600 + rng.int(1800)) * SEC;
        const from = t;
        let last = t;
        for (let k = 0; k < count; k++) {
          const h = (t - this.dayStart) / HOUR;
          if (h >= 12 && h < 14) t = this.dayStart + 14 * HOUR + rng.int(600) * SEC;
          if (t >= this.dayStart + 20 * HOUR) break;
          const q = this.stranger();
          const sms = rng.chance(0.1);
          const x = rng.next();
          const dur = sms
            ? 0
            : x < 0.7
              ? rng.range(2, 30)
              : x < 0.95
                ? rng.range(30, 120)
                : rng.range(120, 300);
          this.fraudCall(
            {
              ts: t,
              kind: sms ? 'sms' : 'voice',
              caller: card.msisdn,
              callee: this.numberOf(q),
              dur,
              imsi: card.imsi,
              imei: card.imei,
              cell,
              origin: 'onnet',
            },
            q,
          );
          this.fraudUsed.add(card.msisdn);
          last = t;
          t += (dur + 15 + Math.round(rng.exp(90))) * SEC;
        }
        sources.push({
          msisdn: card.msisdn,
          imsi: card.imsi,
          imei: card.imei,
          cell,
          origin: 'onnet',
          net: c.net,
          from,
          to: last,
        });
      });
    }
  }

  private spoofTraffic(sources: Source[]): void {
    const { rng } = this;
    for (const s of this.spoofs) {
      if (!s.days.has(this.day)) continue;
      const count = rng.range(10, 40);
      let from = Infinity;
      let to = -Infinity;
      for (let i = 0; i < count; i++) {
        const ts = this.dayStart + (9 * 3600 + rng.int(11 * 3600)) * SEC;
        const q = this.stranger();
        this.fraudCall(
          {
            ts,
            kind: 'voice',
            caller: s.number,
            callee: this.numberOf(q),
            dur: rng.range(3, 90),
            imsi: '',
            imei: '',
            cell: '',
            origin: 'intl',
          },
          q,
        );
        this.fraudUsed.add(s.number);
        from = Math.min(from, ts);
        to = Math.max(to, ts);
      }
      sources.push({ msisdn: s.number, imsi: '', imei: '', cell: '', origin: 'intl', net: s.net, from, to });
    }
  }

  private cloneTraffic(): void {
    const { rng } = this;
    for (const c of this.clones) {
      if (c.day !== this.day) continue;
      const owner = this.people[c.owner]!;
      // The owner calls a friend at home; minutes later the clone calls from a cell far away.
      const t0 = this.dayStart + (9 * 3600 + rng.int(10 * 3600)) * SEC;
      const friend = owner.friends[0] ?? this.stranger();
      this.emitCall({
        ts: t0,
        kind: 'voice',
        caller: c.card.msisdn,
        callee: this.numberOf(friend),
        dur: rng.range(30, 200),
        imsi: c.card.imsi,
        imei: c.card.imei,
        cell: owner.homeCell,
        origin: 'onnet',
      });
      let t = t0 + rng.range(60, 480) * SEC;
      const count = rng.range(3, 8);
      for (let i = 0; i < count; i++) {
        const q = this.stranger();
        this.fraudCall(
          {
            ts: t,
            kind: 'voice',
            caller: c.card.msisdn,
            callee: this.numberOf(q),
            dur: rng.range(5, 60),
            imsi: c.card.imsi,
            imei: c.imei,
            cell: c.cell,
            origin: 'onnet',
          },
          q,
        );
        t += rng.range(30, 120) * SEC;
      }
      this.fraudUsed.add(c.card.msisdn);
    }
  }

  /** Today's victims: a long call from a fraud number, then within hours one to three payments to a mule. */
  private plantVictims(sources: Source[]): void {
    const { rng } = this;
    if (sources.length === 0) return;
    const count = this.victimDay.filter((d) => d === this.day).length;
    let lo = this.dayStart + 9 * HOUR;
    let hi = Math.min(this.dayStart + 20 * HOUR, this.end - 15 * HOUR);
    if (hi <= lo) {
      lo = this.dayStart + HOUR;
      hi = Math.max(lo + HOUR, this.end - 15 * HOUR);
    }
    for (let i = 0; i < count; i++) {
      const v = this.ordinary();
      const victim = this.people[v]!;
      victim.special = true;
      const src = rng.pick(sources);
      const ts = lo + rng.int((hi - lo) / SEC) * SEC;
      const dur = rng.range(300, 2400);
      this.contacted[v] = 1;
      this.emitCall({
        ts,
        kind: 'voice',
        caller: src.msisdn,
        callee: victim.numbers[0]!,
        dur,
        imsi: src.imsi,
        imei: src.imei,
        cell: src.cell,
        origin: src.origin,
      });
      this.victims.push({ person: v, source: src.msisdn, net: src.net });
      const payments = rng.chance(0.6) ? 1 : rng.chance(0.75) ? 2 : 3;
      let t = ts + dur * SEC + rng.range(20, 150) * MIN;
      const first = this.nets[src.net]![0]!;
      for (let k = 0; k < payments; k++) {
        const mule = rng.pick(first);
        const amount = yuan(
          Math.min(300_000, Math.max(1000, Math.round(rng.logNormal(20_000, 0.9) / 100) * 100)),
        );
        const x = rng.next();
        const channel = x < 0.55 ? 'mobile' : x < 0.85 ? 'online' : 'counter';
        const row = { ts: t, payer: victim.account, payee: mule.account, amount, channel, victim: v };
        this.muleReceive(src.net, 0, mule, amount, t, this.fundPayment(row, false));
        t += rng.range(15, 90) * MIN;
      }
    }
  }

  /** Victims of scams the data does not show (chat apps, websites): more unrelated payers into the mules. */
  private plantOffDataVictims(): void {
    const { rng } = this;
    for (const { person: v, day } of this.offDataVictims) {
      if (day !== this.day) continue;
      const person = this.people[v]!;
      const net = rng.int(this.nets.length);
      const mule = rng.pick(this.nets[net]![0]!);
      const ts = Math.min(this.second(PAY_WEIGHTS), this.end - 12 * HOUR);
      if (ts < this.dayStart) continue;
      const amount = yuan(Math.min(200_000, Math.max(500, Math.round(rng.logNormal(8000, 1.0) / 100) * 100)));
      const channel = rng.chance(0.7) ? 'mobile' : 'online';
      const row = { ts, payer: person.account, payee: mule.account, amount, channel };
      this.muleReceive(net, 0, mule, amount, ts, this.fundPayment(row, true));
    }
  }

  /** People paying a shop they never paid before, with no fraud call: must not be taken for victims. */
  private plantDecoys(): void {
    const { rng } = this;
    for (const { person: p, day, merchant } of this.decoys) {
      if (day !== this.day) continue;
      const person = this.people[p]!;
      const amount = yuan(Math.min(40_000, Math.max(1000, Math.round(rng.logNormal(6000, 0.6) / 10) * 10)));
      const channel = rng.chance(0.5) ? 'online' : 'pos';
      this.emitTxn({ ts: this.second(PAY_WEIGHTS), payer: person.account, payee: merchant, amount, channel });
    }
  }

  /**
   * Innocent relays, by day: a person gets one transfer from a friend (200 to 9,000 yuan) and,
   * within hours, forwards nearly all of it to a relative (the friend repaying a loan that was the
   * relative's, a share of a gift), who draws it in cash at a counter or an ATM soon after or keeps
   * it. In the flows alone that is two relays ending at a cash machine, what the last hops of a
   * mule chain look like (`mule_account`, `minRelayChainToCash`): about one a day per 2,000
   * people. Drawn from a generator of their own, after the day's other flows, so the rest of the
   * world is as without them; not in the truth.
   */
  private plantForwards(): void {
    const rng = this.forwardRng;
    this.plantDaily(rng, 2000, 2, (person) => {
      const from = person.friends[rng.int(person.friends.length)]!;
      const to = person.friends[rng.int(person.friends.length)]!;
      if (from === to || !this.unplanted(from) || !this.unplanted(to)) return false;
      // Two in five are small sums (200 to 1,900 yuan: under `minInflow`, judged only as chains).
      const amount = yuan(rng.chance(0.4) ? rng.range(2, 19) * 100 : rng.range(20, 90) * 100);
      // Between 08:00 and 16:00; forwarded 10 minutes to 3 hours later, and drawn 20 minutes to 2
      // hours after that.
      let t = this.dayStart + (8 * 3600 + rng.int(8 * 3600)) * SEC;
      this.emitTxn({
        ts: t,
        payer: this.people[from]!.account,
        payee: person.account,
        amount,
        channel: 'mobile',
      });
      t += rng.range(10, 180) * MIN;
      const passed = amount - yuan(rng.range(0, 5) * 10);
      this.emitTxn({
        ts: t,
        payer: person.account,
        payee: this.people[to]!.account,
        amount: passed,
        channel: 'mobile',
      });
      if (rng.chance(0.4)) return true;
      t += rng.range(20, 120) * MIN;
      const cash = passed - yuan(rng.range(0, 5) * 10);
      this.emitTxn({
        ts: t,
        payer: this.people[to]!.account,
        payee: '',
        amount: cash,
        channel: rng.chance(0.5) ? 'atm' : 'counter',
      });
      return true;
    });
  }

  /**
   * People moving their own money between their own accounts (two in five have two or three, at
   * different banks), about one a day per 1,000 people, innocent look-alikes of mule flows:
   * - half gather money from their other accounts into the main one (two payers, minutes apart)
   *   and pay it all for a large purchase minutes later, as a mule's fan-in and fan-out;
   * - half move a sum from the main account to another, in half of those on to a third, and spend
   *   it there minutes later at a merchant or draw it in cash, as a chain of relays; a third of
   *   those late at night (online shopping, a cash machine on the way home).
   * Drawn from a generator of their own, after the day's other flows, so the rest of the world is
   * as without them; not in the truth.
   */
  private plantOwnMoves(): void {
    const rng = this.ownMoveRng;
    if (this.otherAccounts === null) {
      const main = new Map<string, string>();
      for (const q of this.people) if (!q.special && q.account !== '') main.set(q.id, q.account);
      const others = new Map<string, string[]>();
      for (const a of this.accounts) {
        const m = main.get(a.holderId);
        if (m === undefined || a.type !== 'personal' || a.account === m) continue;
        const list = others.get(a.holderId);
        if (list) list.push(a.account);
        else others.set(a.holderId, [a.account]);
      }
      this.otherAccounts = others;
    }
    const owned = this.otherAccounts;
    this.plantDaily(rng, 1000, 0, (person) => {
      const others = owned.get(person.id);
      if (others === undefined) return false;
      const merchant = this.merchants[rng.int(this.merchants.length)]!;
      if (rng.chance(0.5)) {
        // Gathered for a large purchase, by day.
        let t = this.dayStart + (9 * 3600 + rng.int(11 * 3600)) * SEC;
        let total = 0;
        for (const from of others) {
          const amount = yuan(rng.range(30, 300) * 100);
          total += amount;
          this.emitTxn({ ts: t, payer: from, payee: person.account, amount, channel: 'mobile' });
          t += rng.range(2, 15) * MIN;
        }
        // Often with money already there, too.
        if (rng.chance(0.5)) total += yuan(rng.range(1, 50) * 100);
        t += rng.range(3, 30) * MIN;
        this.emitTxn({ ts: t, payer: person.account, payee: merchant, amount: total, channel: 'online' });
        return true;
      }
      // Moved on to be spent from another account.
      const night = rng.chance(1 / 3);
      let t = night
        ? this.dayStart + rng.int(2 * 3600) * SEC
        : this.dayStart + (8 * 3600 + rng.int(13 * 3600)) * SEC;
      let amount = yuan(rng.range(10, 200) * 100);
      const path = [person.account, others[0]!];
      if (others.length > 1 && rng.chance(0.5)) path.push(others[1]!);
      for (let i = 1; i < path.length; i++) {
        this.emitTxn({ ts: t, payer: path[i - 1]!, payee: path[i]!, amount, channel: 'mobile' });
        t += rng.range(3, 30) * MIN;
      }
      const last = path[path.length - 1]!;
      if (rng.chance(0.4)) {
        amount -= yuan(rng.range(0, 5) * 10);
        this.emitTxn({ ts: t, payer: last, payee: '', amount, channel: 'atm' });
      } else this.emitTxn({ ts: t, payer: last, payee: merchant, amount, channel: 'online' });
      return true;
    });
  }

  /** Whether person `i` has no planted role and an account: one of the innocent look-alikes' people. */
  private unplanted(i: number): boolean {
    const q = this.people[i]!;
    return !q.special && q.account !== '';
  }

  /**
   * The day's innocent look-alikes of one kind, one per `per` people: draws people with `rng`
   * until that many took one or 50 draws each were spent. `plant` gets an unplanted person with
   * at least `minFriends` friends, makes its own draws after the person's, and returns false when
   * it declines them (nothing planted, nothing counted).
   */
  private plantDaily(rng: Rng, per: number, minFriends: number, plant: (person: Person) => boolean): void {
    const n = this.opts.people;
    const want = Math.max(1, Math.round(n / per));
    for (let k = 0, guard = 0; k < want && guard < want * 50; guard++) {
      const i = rng.int(n);
      if (!this.unplanted(i) || this.people[i]!.friends.length < minFriends) continue;
      if (plant(this.people[i]!)) k++;
    }
  }

  /**
   * Friends chipping in (AA): about one a day per 1,000 people, an organiser collects shares from
   * 4 to 15 of their friends for a trip, a dinner, a class fund or a group order, and pays the total
   * to one of the merchants, in half the cases as soon as the last share came in (5 to 30 minutes
   * later), else 1 to 20 hours later. Seven in ten are equal shares of 100 to 1,500 yuan; the rest
   * are what each friend ordered (50 to 1,500 yuan). The shares come in by day, 2 to 60 minutes
   * apart, and the organiser adds their own share half the time. In the flows alone: a fan-in from
   * many payers passed on whole within minutes, a mule's first layer. Drawn from a generator of
   * their own, after the day's other flows, so the rest of the world is as without them; not in
   * the truth.
   */
  private plantCollections(): void {
    const rng = this.collectRng;
    this.plantDaily(rng, 1000, 4, (organiser) => {
      const friends = shuffled(rng, organiser.friends).filter((i) => this.unplanted(i));
      const count = Math.min(friends.length, rng.range(4, 15));
      if (count < 4) return false;
      const equal = rng.chance(0.7);
      const share = yuan(rng.range(2, 30) * 50);
      let t = this.dayStart + (8 * 3600 + rng.int(12 * 3600)) * SEC;
      let total = 0;
      for (let i = 0; i < count; i++) {
        const amount = equal ? share : yuan(rng.range(1, 30) * 50);
        total += amount;
        this.emitTxn({
          ts: t,
          payer: this.people[friends[i]!]!.account,
          payee: organiser.account,
          amount,
          channel: 'mobile',
        });
        t += rng.range(2, 60) * MIN;
      }
      if (rng.chance(0.5)) total += equal ? share : yuan(rng.range(1, 30) * 50);
      t += rng.chance(0.5) ? rng.range(5, 30) * MIN : rng.range(60, 1200) * MIN;
      const merchant = this.merchants[rng.int(this.merchants.length)]!;
      this.emitTxn({
        ts: t,
        payer: organiser.account,
        payee: merchant,
        amount: total,
        channel: rng.chance(0.5) ? 'online' : 'mobile',
      });
      return true;
    });
  }

  /**
   * A victim's payment into a mule network: written, and followed in the truth when it falls inside
   * the window (else nothing of it shows in the files).
   */
  private fundPayment(row: TxnRow, offData: boolean): FundFlow | undefined {
    row.id = '';
    if (!this.emitTxn(row)) return undefined;
    const fund: FundFlow = { row, offData, held: new Map(), cashedOut: 0 };
    this.funds.push(fund);
    return fund;
  }

  /**
   * A mule passes money on: after minutes (often at night) it sends on nearly all of it, split over
   * one to three accounts of the next layer (several mules feed the same next ones: merges), each
   * part kept under the reporting threshold; the last layer cashes out. `fund` follows the money in
   * the truth: what the mule does not pass on within the window (its cut, transfers past the end)
   * it holds. Flows past the end still draw from the generator, so the world stays the same.
   */
  private muleReceive(
    net: number,
    layer: number,
    mule: Mule,
    amount: number,
    ts: number,
    fund: FundFlow | undefined,
  ): void {
    const { rng } = this;
    const layers = this.nets[net]!;
    let t = this.nightShift(ts + rng.range(5, 90) * MIN);
    const keep = Math.round((amount * rng.range(0, 20)) / 1000 / 100) * 100;
    const out = amount - keep;
    let passed = 0;
    if (layer === layers.length - 1) {
      const cap = mule.cashOut === 'atm' ? yuan(20_000) : yuan(THRESHOLD_YUAN);
      for (const chunk of structure(rng, out, cap)) {
        const payee = mule.cashOut === 'abroad' ? mule.foreign : '';
        if (this.emitTxn({ ts: t, payer: mule.account, payee, amount: chunk, channel: mule.cashOut }))
          passed += chunk;
        t += rng.range(1, 6) * MIN;
      }
      if (fund) {
        fund.cashedOut += passed;
        hold(fund, mule.account, amount - passed);
      }
      return;
    }
    const next = layers[layer + 1]!;
    const parts = out > yuan(20_000) ? Math.min(next.length, rng.range(2, 3)) : 1;
    const targets = shuffled(rng, next).slice(0, parts);
    let left = out;
    targets.forEach((target, i) => {
      const part =
        i === parts - 1 ? left : Math.round(((out / parts) * (0.7 + 0.6 * rng.next())) / 100) * 100;
      left -= part;
      if (part <= 0) return;
      for (const chunk of structure(rng, part, yuan(THRESHOLD_YUAN))) {
        const written = this.emitTxn({
          ts: t,
          payer: mule.account,
          payee: target.account,
          amount: chunk,
          channel: rng.chance(0.7) ? 'mobile' : 'online',
        });
        if (written) passed += chunk;
        this.muleReceive(net, layer + 1, target, chunk, t, written ? fund : undefined);
        t += rng.range(1, 5) * MIN;
      }
    });
    if (fund) hold(fund, mule.account, amount - passed);
  }

  /** Half the time, daytime forwarding waits for the small hours. */
  private nightShift(ts: number): number {
    const h = ((ts - this.start) % DAY) / HOUR;
    if (h < 7 || !this.rng.chance(0.5)) return ts;
    const night = ts - ((ts - this.start) % DAY) + DAY + (30 + this.rng.int(240)) * MIN;
    return night < this.end ? night : ts;
  }

  private legitPayments(p: number, dom: number): void {
    const { rng } = this;
    const person = this.people[p]!;
    if (!person.account) return;
    if (person.employer >= 0) {
      const e = this.employers[person.employer]!;
      if (e.payday === dom) {
        const salary = yuan(Math.min(80_000, Math.max(2500, Math.round(rng.logNormal(8000, 0.5)))));
        this.emitTxn({
          ts: this.dayStart + (9 * 3600 + rng.int(7200)) * SEC,
          payer: e.account,
          payee: person.account,
          amount: salary,
          channel: 'online',
        });
      }
    }
    if (person.landlord >= 0 && person.rentDay === dom) {
      const landlord = this.people[person.landlord]!;
      if (landlord.account)
        this.emitTxn({
          ts: this.second(PAY_WEIGHTS),
          payer: person.account,
          payee: landlord.account,
          amount: person.rent,
          channel: 'mobile',
        });
    }
    const shopping = rng.poisson(0.9 * Math.min(2, person.activity));
    for (let i = 0; i < shopping; i++) {
      const m = this.merchants[rng.pick(person.merchants)]!;
      const amount = Math.min(500_000, Math.max(100, Math.round(rng.logNormal(60, 0.9) * 100)));
      const x = rng.next();
      const channel = x < 0.5 ? 'pos' : x < 0.85 ? 'mobile' : 'online';
      this.emitTxn({ ts: this.second(PAY_WEIGHTS), payer: person.account, payee: m, amount, channel });
    }
    if (rng.chance(0.06) && person.friends.length > 0) {
      const friend = this.people[rng.pick(person.friends)]!;
      if (friend.account) {
        const amount = yuan(Math.max(10, Math.round(rng.logNormal(300, 0.8) / 10) * 10));
        this.emitTxn({
          ts: this.second(PAY_WEIGHTS),
          payer: person.account,
          payee: friend.account,
          amount,
          channel: 'mobile',
        });
      }
    }
  }

  // --- output ----------------------------------------------------------------------------------

  private async flushDay(callsOut: WriteStream, txnsOut: WriteStream): Promise<void> {
    const calls = sortByTs(this.calls, this.dayStart);
    this.calls = [];
    await writeLines(
      callsOut,
      calls,
      (c) =>
        `${iso(c.ts)},${c.kind},${c.caller},${c.callee},${c.dur},${c.imsi},${c.imei},${c.cell},${c.origin}`,
    );
    this.counts.calls += calls.length;
    this.span(calls);

    const txns = sortByTs(this.txns, this.dayStart);
    this.txns = [];
    const prefix = 'TX' + iso(this.dayStart).slice(0, 10).replaceAll('-', '');
    let seq = 0;
    await writeLines(txnsOut, txns, (t) => {
      this.trackFlow(t);
      seq++;
      const id = `${prefix}${String(seq).padStart(8, '0')}`;
      if (t.id !== undefined) t.id = id;
      return `${iso(t.ts)},${id},${t.payer},${t.payee},${money(t.amount)},CNY,${t.channel}`;
    });
    this.counts.transactions += txns.length;
    this.span(txns);
  }

  private span(rows: { ts: number }[]): void {
    if (rows.length === 0) return;
    this.firstTs = Math.min(this.firstTs, rows[0]!.ts);
    this.lastTs = Math.max(this.lastTs, rows[rows.length - 1]!.ts);
  }

  private trackFlow(t: TxnRow): void {
    if (t.victim !== undefined) this.victimPaid.add(t.victim);
    if (this.muleAt.has(t.payee)) this.flow(t.payee).in++;
    if (this.muleAt.has(t.payer)) this.flow(t.payer).out++;
  }

  private flow(account: string): { in: number; out: number } {
    let f = this.muleFlow.get(account);
    if (!f) {
      f = { in: 0, out: 0 };
      this.muleFlow.set(account, f);
    }
    return f;
  }

  private *cardLines(): Generator<string> {
    const cards = [...this.cards].sort((a, b) => a.activatedAt - b.activatedAt);
    for (const c of cards) {
      const cancelled = c.cancelledAt === undefined ? '' : iso(c.cancelledAt);
      yield `${c.msisdn},${c.imsi},${c.holderId},${c.holderRegion},${c.type},${iso(c.activatedAt)},${c.operator},${cancelled},${c.outlet ?? outletOf(c)}`;
    }
    this.counts.cards = cards.length;
  }

  private *accountLines(): Generator<string> {
    const accounts = [...this.accounts].sort((a, b) => a.openedAt - b.openedAt);
    for (const a of accounts)
      yield `${a.account},${a.institution},${a.holderId},${a.type},${iso(a.openedAt)}`;
    this.counts.accounts = accounts.length;
  }

  private async writeReference(path: string, header: string, lines: Iterable<string>): Promise<void> {
    const out = createWriteStream(path);
    try {
      let chunk = header + '\n';
      for (const line of lines) {
        chunk += line + '\n';
        if (chunk.length > 1 << 20) {
          await write(out, chunk);
          chunk = '';
        }
      }
      if (chunk) await write(out, chunk);
    } finally {
      await close(out);
    }
  }

  private truth(): Truth {
    const planted = Object.fromEntries(DETECTORS.map((d) => [d, []])) as unknown as Planted;
    const add = (d: DetectorName, subjectKind: SubjectKind, subject: string, note?: string) =>
      planted[d].push(note === undefined ? { subjectKind, subject } : { subjectKind, subject, note });
    for (const g of this.gateways) add('simbox', 'imei', g.imei, `${g.sims.length} IMSIs at cell ${g.cell}`);
    this.centres.forEach((c, i) => {
      for (const card of c.cards) {
        if (this.fraudUsed.has(card.msisdn))
          add('fraud_caller', 'msisdn', card.msisdn, `call centre ${i + 1} in ${REGIONS[c.region]!.code}`);
      }
    });
    for (const dev of this.iot)
      if (dev.misuse && this.fraudUsed.has(dev.card.msisdn)) add('iot_misuse', 'msisdn', dev.card.msisdn);
    for (const s of this.spoofs) {
      if (this.fraudUsed.has(s.number))
        add(
          'spoofed_caller',
          'msisdn',
          s.number,
          s.realOwner
            ? 'intl gateway, presents a subscriber’s number'
            : 'intl gateway, presents an unassigned number',
        );
    }
    for (const c of this.clones)
      add('spoofed_caller', 'msisdn', c.card.msisdn, `cloned: also at cell ${c.cell}`);
    for (const s of this.sellers) {
      const p = this.people[s]!;
      add('card_limit', 'holder', p.id, `${p.cardCount} cards`);
    }
    for (const b of this.bursts) {
      for (const c of b.cards)
        add(
          'card_limit',
          'msisdn',
          c.msisdn,
          `burst of ${b.cards.length} activations, ${b.operator} in ${b.region} at ${iso(b.at)}`,
        );
    }
    for (const [account, where] of this.muleAt) {
      const f = this.muleFlow.get(account);
      if (f && f.in > 0 && f.out > 0)
        add(
          'mule_account',
          'account',
          account,
          `network ${where.net + 1}, layer ${where.layer + 1} of ${this.nets[where.net]!.length}`,
        );
    }
    for (const v of this.victims) {
      if (this.victimPaid.has(v.person))
        add('potential_victim', 'holder', this.people[v.person]!.id, `called by ${v.source}`);
    }
    return {
      seed: this.opts.seed,
      people: this.opts.people,
      days: this.opts.days,
      start: Number.isFinite(this.firstTs) ? this.firstTs : this.start,
      end: Number.isFinite(this.lastTs) ? this.lastTs : this.end,
      planted,
      funds: this.funds.map((f): FundTruth => ({
        victimTxnId: f.row.id!,
        victim: f.row.payer,
        amount: f.row.amount,
        held: Object.fromEntries(f.held),
        cashedOut: f.cashedOut,
        ...(f.offData ? { offData: true } : {}),
      })),
    };
  }
}

// --- helpers -------------------------------------------------------------------------------------

function pickOperator(rng: Rng): Operator {
  return OPERATORS[
    weighted(
      rng,
      OPERATORS.map((o) => o.share),
    )
  ]!;
}

function cellId(region: string, n: number): string {
  return `${region}-${String(n).padStart(4, '0')}`;
}

/** Different province and over 800 km apart. */
function far(a: number, b: number): boolean {
  const ra = REGIONS[a]!;
  const rb = REGIONS[b]!;
  return ra.code.slice(0, 2) !== rb.code.slice(0, 2) && (regionDistanceKm(ra.code, rb.code) ?? 0) > 800;
}

function hold(fund: FundFlow, account: string, amount: number): void {
  if (amount > 0) fund.held.set(account, (fund.held.get(account) ?? 0) + amount);
}

function yuan(n: number): number {
  return n * 100;
}

function money(fen: number): string {
  return `${Math.floor(fen / 100)}.${pad2(fen % 100)}`;
}

/** Splits `amount` into transfers of at most `cap`, the full ones just under it (49,900, 49,800 …). */
function structure(rng: Rng, amount: number, cap: number): number[] {
  const chunks: number[] = [];
  let left = amount;
  while (left > cap) {
    const chunk = cap - rng.range(1, 8) * yuan(100);
    chunks.push(chunk);
    left -= chunk;
  }
  if (left > 0) chunks.push(left);
  return chunks;
}

function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

const dates = new Map<number, string>();
let clock: string[] | null = null;

/** `2026-11-02T09:15:00+08:00` for epoch ms (whole seconds, Beijing time). */
export function iso(ts: number): string {
  const local = ts + OFFSET;
  const day = Math.floor(local / DAY);
  let date = dates.get(day);
  if (date === undefined) {
    date = new Date(day * DAY).toISOString().slice(0, 10) + 'T';
    if (dates.size > 100_000) dates.clear();
    dates.set(day, date);
  }
  if (clock === null) {
    clock = [];
    for (let s = 0; s < DAY / SEC; s++)
      clock.push(`${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}+08:00`);
  }
  return date + clock[Math.floor((local - day * DAY) / SEC)]!;
}

/**
 * Rows of one day in time order: a counting sort on the second of the day (stable, so generation
 * order breaks ties and the output is deterministic).
 */
function sortByTs<T extends { ts: number }>(rows: T[], dayStart: number): T[] {
  const slots = DAY / SEC;
  const counts = new Uint32Array(slots + 1);
  for (const r of rows) counts[(r.ts - dayStart) / SEC + 1]!++;
  for (let i = 1; i <= slots; i++) counts[i]! += counts[i - 1]!;
  const out = new Array<T>(rows.length);
  for (const r of rows) out[counts[(r.ts - dayStart) / SEC]!++] = r;
  return out;
}

/** Writes rows as lines, in chunks of a few thousand, waiting when the file falls behind. */
async function writeLines<T>(out: WriteStream, rows: T[], line: (row: T) => string): Promise<void> {
  const batch: string[] = [];
  for (const row of rows) {
    batch.push(line(row));
    if (batch.length === 8192) {
      batch.push('');
      await write(out, batch.join('\n'));
      batch.length = 0;
    }
  }
  if (batch.length > 0) {
    batch.push('');
    await write(out, batch.join('\n'));
  }
}

async function write(out: WriteStream, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

async function close(out: WriteStream): Promise<void> {
  if (out.closed) return;
  out.end();
  await once(out, 'close');
}
