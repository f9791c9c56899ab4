/**
 * Policies as data: which action a matched listing leads to, per channel and institution, versioned;
 * the selection of the policy for an event; shadow evaluation of a new version; the default
 * national policies. See docs/decisions.md.
 */
import { INDICATOR_KINDS, isIndicatorKind, type IndicatorKind } from '../../core/normalize/index.ts';
import { CONFIDENCE_SCALE, kindCode } from './registry-index.ts';
import { SCAM_CATEGORY_LIST, categoryCode, type ScamCategory } from './taxonomy.ts';
import { ACTIONS, EVENT_KINDS, type Action, type Decision, type EventKind } from './types.ts';

export interface Rule {
  /** Listing categories the rule covers (default: all). */
  categories?: ScamCategory[];
  /** Lowest listing confidence the rule covers, 0..1 (default 0). */
  minConfidence?: number;
  /** Listing kinds the rule covers (default: all). */
  kinds?: IndicatorKind[];
  /** Roles of the matching party (`caller`, `payee`, `content_url`, …; default: all). */
  partyRoles?: string[];
  action: Action;
  /** Stable reason code reported with matches this rule decides (default `listed`). */
  reason?: string;
}

/** What the message classifier's reading of an SMS text leads to (channel `sms`). */
export interface ContentRule {
  /** Classifier labels (scam categories) the rule covers (default: every scam category). */
  categories?: ScamCategory[];
  /** Lowest classifier probability covered, 0..1. */
  minProbability: number;
  action: Action;
  /** Reason code reported (default `scam_text`). */
  reason?: string;
}

export interface Policy {
  id: string;
  version: number;
  /** The event kind the policy is for, or `*` for every kind. */
  channel: EventKind | '*';
  /** The institution the policy is for; null for the national policy. */
  institutionId: string | null;
  /** Evaluated top-down for every matched listing; the first rule that covers it decides. */
  rules: Rule[];
  /** The action for a matched listing that no rule covers. */
  default: Action;
  /** Lowest action of a decision in which some party could not be read (default `allow`). */
  onMalformed?: Action;
  /** SMS texts the classifier reads as scams, first match decides (none: the text alone never acts). */
  contentRules?: ContentRule[];
  description?: string;
}

/** allow 0 < warn 1 < review 2 < block 3. */
export function actionCode(a: Action): number {
  switch (a) {
    case 'allow':
      return 0;
    case 'warn':
      return 1;
    case 'review':
      return 2;
    case 'block':
      return 3;
    default:
      return -1;
  }
}

export function actionName(code: number): Action {
  return ACTIONS[code] ?? 'allow';
}

interface CompiledRule {
  /** Category bit mask; -1: all. */
  readonly cats: number;
  /** Confidence in 1/10,000. */
  readonly minQ: number;
  /** Kind bit mask; -1: all. */
  readonly kinds: number;
  readonly roles: ReadonlySet<string> | null;
  readonly action: number;
  readonly reason: string;
}

const EMPTY: readonly never[] = Object.freeze([]);

/** A policy prepared for evaluation: bit masks instead of lists; its no-match decision built once. */
export class CompiledPolicy {
  readonly ref: { readonly id: string; readonly version: number };
  readonly rules: readonly CompiledRule[];
  readonly defaultAction: number;
  readonly onMalformed: number;
  readonly contentRules: readonly { cats: number; minP: number; action: number; reason: string }[];
  /** The decision for an event nothing matched (shared and frozen). */
  readonly allowDecision: Decision;
  private shadowCache: { shadow: CompiledPolicy; decision: Decision } | null = null;

  constructor(readonly policy: Policy) {
    const errors = validatePolicy(policy);
    if (errors.length) throw new RangeError(`invalid policy ${String(policy?.id)}: ${errors.join('; ')}`);
    this.ref = Object.freeze({ id: policy.id, version: policy.version });
    this.rules = Object.freeze(
      policy.rules.map((r) =>
        Object.freeze({
          cats: r.categories ? r.categories.reduce((m, c) => m | (1 << categoryCode(c)), 0) : -1,
          minQ: Math.round((r.minConfidence ?? 0) * CONFIDENCE_SCALE),
          kinds: r.kinds ? r.kinds.reduce((m, k) => m | (1 << kindCode(k)), 0) : -1,
          roles: r.partyRoles ? new Set(r.partyRoles) : null,
          action: actionCode(r.action),
          reason: r.reason ?? 'listed',
        }),
      ),
    );
    this.defaultAction = actionCode(policy.default);
    this.onMalformed = actionCode(policy.onMalformed ?? 'allow');
    this.contentRules = Object.freeze(
      (policy.contentRules ?? []).map((r) =>
        Object.freeze({
          cats: r.categories ? r.categories.reduce((m, c) => m | (1 << categoryCode(c)), 0) : -1,
          minP: r.minProbability,
          action: actionCode(r.action),
          reason: r.reason ?? 'scam_text',
        }),
      ),
    );
    this.allowDecision = Object.freeze({
      action: 'allow',
      score: 0,
      matches: EMPTY,
      reasons: EMPTY,
      warnings: EMPTY,
      policy: this.ref,
    });
  }

  /** The index of the first rule covering a match, or -1 (then the policy's default applies). */
  ruleFor(cat: number, confQ: number, kind: number, role: string): number {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if ((r.cats & (1 << cat)) === 0) continue;
      if (confQ < r.minQ) continue;
      if ((r.kinds & (1 << kind)) === 0) continue;
      if (r.roles !== null && !r.roles.has(role)) continue;
      return i;
    }
    return -1;
  }

  /** The content rule covering a classifier reading (category code, probability), or -1. */
  contentRuleFor(cat: number, p: number): number {
    const rules = this.contentRules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if ((r.cats & (1 << cat)) !== 0 && p >= r.minP) return i;
    }
    return -1;
  }

  /** The action for a match (before caps). */
  actionFor(cat: number, confQ: number, kind: number, role: string): number {
    const i = this.ruleFor(cat, confQ, kind, role);
    return i < 0 ? this.defaultAction : this.rules[i]!.action;
  }

  /** The no-match decision with a shadow of `shadow` (cached for the last shadow). */
  allowWithShadow(shadow: CompiledPolicy): Decision {
    const c = this.shadowCache;
    if (c !== null && c.shadow === shadow) return c.decision;
    const decision: Decision = Object.freeze({
      ...this.allowDecision,
      shadow: Object.freeze({ action: 'allow' as const, policy: shadow.ref }),
    });
    this.shadowCache = { shadow, decision };
    return decision;
  }
}

const compiled = new WeakMap<Policy, CompiledPolicy>();

/** The compiled form of a policy (cached per policy object; do not mutate a policy once used). */
export function compilePolicy(p: Policy): CompiledPolicy {
  let c = compiled.get(p);
  if (c === undefined) {
    c = new CompiledPolicy(p);
    compiled.set(p, c);
  }
  return c;
}

/** Problems with a policy, as sentences; empty when it is valid. */
export function validatePolicy(p: Policy): string[] {
  const errors: string[] = [];
  if (typeof p !== 'object' || p === null) return ['not an object'];
  if (typeof p.id !== 'string' || p.id.length === 0) errors.push('id must be a non-empty string');
  if (typeof p.version !== 'number' || !Number.isFinite(p.version)) errors.push('version must be a number');
  if (p.channel !== '*' && !(EVENT_KINDS as readonly string[]).includes(p.channel))
    errors.push(`channel must be * or one of ${EVENT_KINDS.join(', ')}`);
  if (p.institutionId !== null && (typeof p.institutionId !== 'string' || p.institutionId.length === 0))
    errors.push('institutionId must be null or a non-empty string');
  if (actionCode(p.default) < 0) errors.push('default must be an action');
  if (p.onMalformed !== undefined && actionCode(p.onMalformed) < 0)
    errors.push('onMalformed must be an action');
  if (!Array.isArray(p.rules)) errors.push('rules must be an array');
  else
    p.rules.forEach((r, i) => {
      if (actionCode(r.action) < 0) errors.push(`rule ${i}: action must be one of ${ACTIONS.join(', ')}`);
      if (r.categories !== undefined && !r.categories.every((c) => categoryCode(c) >= 0))
        errors.push(`rule ${i}: unknown category (known: ${SCAM_CATEGORY_LIST.join(', ')})`);
      if (r.kinds !== undefined && !r.kinds.every((k) => isIndicatorKind(k)))
        errors.push(`rule ${i}: unknown kind (known: ${INDICATOR_KINDS.join(', ')})`);
      if (
        r.minConfidence !== undefined &&
        (typeof r.minConfidence !== 'number' || !(r.minConfidence >= 0 && r.minConfidence <= 1))
      )
        errors.push(`rule ${i}: minConfidence must be in 0..1`);
      if (r.partyRoles !== undefined && !r.partyRoles.every((x) => typeof x === 'string'))
        errors.push(`rule ${i}: partyRoles must be strings`);
    });
  if (p.contentRules !== undefined) {
    if (!Array.isArray(p.contentRules)) errors.push('contentRules must be an array');
    else
      p.contentRules.forEach((r, i) => {
        if (actionCode(r.action) < 0)
          errors.push(`content rule ${i}: action must be one of ${ACTIONS.join(', ')}`);
        if (!(typeof r.minProbability === 'number' && r.minProbability >= 0 && r.minProbability <= 1))
          errors.push(`content rule ${i}: minProbability must be in 0..1`);
        if (r.categories !== undefined && !r.categories.every((c) => categoryCode(c) >= 0))
          errors.push(`content rule ${i}: unknown category (known: ${SCAM_CATEGORY_LIST.join(', ')})`);
      });
  }
  return errors;
}

// --- selection -----------------------------------------------------------------------------------

const NATIONAL = '';

type Slots = Map<string, Map<string, CompiledPolicy>>;

/**
 * The policies in force, and their shadows. Selection for an event of channel C from institution I:
 * I's policy for C, else the national policy for C, else I's `*` policy, else the national `*`
 * policy, else the built-in national default.
 */
export class PolicySet {
  private readonly active: Slots = new Map();
  private readonly shadows: Slots = new Map();
  private readonly fallback = compilePolicy(DEFAULT_FALLBACK_POLICY);
  private shadowCount = 0;
  /** Selections for events without an institution, by channel number (cleared on every change). */
  private cache: (CompiledPolicy | undefined)[] = [];
  private shadowCache: (CompiledPolicy | null | undefined)[] = [];

  constructor(policies: readonly Policy[] = DEFAULT_POLICIES) {
    for (const p of policies) this.set(p);
  }

  /** Puts a policy in force for its (institution, channel), replacing what was there. */
  set(p: Policy): void {
    put(this.active, compilePolicy(p));
    this.changed();
  }

  /** Removes the policy in force for (institution, channel). */
  unset(channel: EventKind | '*', institutionId: string | null): void {
    this.active.get(institutionId ?? NATIONAL)?.delete(channel);
    this.changed();
  }

  /** Runs `p` in shadow for its (institution, channel): decisions report what it would decide. */
  setShadow(p: Policy): void {
    put(this.shadows, compilePolicy(p));
    this.changed();
  }

  clearShadow(channel: EventKind | '*', institutionId: string | null): void {
    this.shadows.get(institutionId ?? NATIONAL)?.delete(channel);
    this.changed();
  }

  /** Switches the shadow of (institution, channel) on: it becomes the policy in force. */
  promoteShadow(channel: EventKind | '*', institutionId: string | null): Policy | null {
    const s = this.shadows.get(institutionId ?? NATIONAL)?.get(channel);
    if (s === undefined) return null;
    this.clearShadow(channel, institutionId);
    this.set(s.policy);
    return s.policy;
  }

  /**
   * Replaces every policy in force and in shadow at once (a node reloading from the database).
   * Policies already compiled keep their compiled form, so running shadow reports carry on.
   */
  replaceAll(active: readonly Policy[], shadows: readonly Policy[]): void {
    this.active.clear();
    this.shadows.clear();
    for (const p of active) put(this.active, compilePolicy(p));
    for (const p of shadows) put(this.shadows, compilePolicy(p));
    this.changed();
  }

  /** Policies in force. */
  list(): Policy[] {
    return [...this.active.values()].flatMap((m) => [...m.values()].map((c) => c.policy));
  }

  shadowList(): Policy[] {
    return [...this.shadows.values()].flatMap((m) => [...m.values()].map((c) => c.policy));
  }

  /** The policy in force for an event. */
  select(channel: string, institutionId: string | null | undefined): CompiledPolicy {
    const inst = institutionId ? this.active.get(institutionId) : undefined;
    const nat = this.active.get(NATIONAL);
    return inst?.get(channel) ?? nat?.get(channel) ?? inst?.get('*') ?? nat?.get('*') ?? this.fallback;
  }

  /**
   * The shadow that would be selected for the event if every shadow were switched on, or null when
   * that is the policy in force anyway (no shadow on the event's selection path).
   */
  selectShadow(channel: string, institutionId: string | null | undefined): CompiledPolicy | null {
    if (this.shadowCount === 0) return null;
    for (let step = 0; step < 4; step++) {
      const inst = step % 2 === 0 ? institutionId : NATIONAL;
      if (inst === null || inst === undefined || (step % 2 === 0 && inst === '')) continue;
      const ch = step < 2 ? channel : '*';
      const s = this.shadows.get(inst)?.get(ch);
      if (s !== undefined) return s;
      if (this.active.get(inst)?.get(ch) !== undefined) return null;
    }
    return null;
  }

  /** select() and selectShadow() for channel number `code` (EVENT_KINDS order), cached. */
  selectCached(code: number, channel: string, institutionId: string | null | undefined): CompiledPolicy {
    if (institutionId) return this.select(channel, institutionId);
    const c = this.cache[code];
    if (c !== undefined) return c;
    return (this.cache[code] = this.select(channel, null));
  }

  selectShadowCached(
    code: number,
    channel: string,
    institutionId: string | null | undefined,
  ): CompiledPolicy | null {
    if (this.shadowCount === 0) return null;
    if (institutionId) return this.selectShadow(channel, institutionId);
    const c = this.shadowCache[code];
    if (c !== undefined) return c;
    return (this.shadowCache[code] = this.selectShadow(channel, null));
  }

  private changed(): void {
    this.cache = [];
    this.shadowCache = [];
    let n = 0;
    for (const m of this.shadows.values()) n += m.size;
    this.shadowCount = n;
  }
}

function put(slots: Slots, c: CompiledPolicy): void {
  const inst = c.policy.institutionId ?? NATIONAL;
  let m = slots.get(inst);
  if (m === undefined) slots.set(inst, (m = new Map()));
  m.set(c.policy.channel, c);
}

// --- shadow report -------------------------------------------------------------------------------

/** Counts, over a stream of events, how a shadow policy's actions differ from the active ones. */
export class ShadowReport {
  /** counts[from * 4 + to]. */
  private readonly counts = new Float64Array(16);
  total = 0;
  changed = 0;

  constructor(
    readonly active: { id: string; version: number } | null = null,
    readonly shadow: { id: string; version: number } | null = null,
  ) {}

  record(from: Action | number, to: Action | number): void {
    const f = typeof from === 'number' ? from : actionCode(from);
    const t = typeof to === 'number' ? to : actionCode(to);
    this.counts[f * 4 + t]!++;
    this.total++;
    if (f !== t) this.changed++;
  }

  count(from: Action, to: Action): number {
    return this.counts[actionCode(from) * 4 + actionCode(to)]!;
  }

  /** Changed decisions by `from→to` (only transitions that happened). */
  byTransition(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let f = 0; f < 4; f++)
      for (let t = 0; t < 4; t++) {
        const n = this.counts[f * 4 + t]!;
        if (f !== t && n > 0) out[`${ACTIONS[f]}→${ACTIONS[t]}`] = n;
      }
    return out;
  }

  merge(other: ShadowReport): void {
    for (let i = 0; i < 16; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.changed += other.changed;
  }

  toJSON(): {
    active: { id: string; version: number } | null;
    shadow: { id: string; version: number } | null;
    total: number;
    changed: number;
    changedShare: number;
    transitions: { from: Action; to: Action; count: number }[];
  } {
    const transitions: { from: Action; to: Action; count: number }[] = [];
    for (let f = 0; f < 4; f++)
      for (let t = 0; t < 4; t++) {
        const n = this.counts[f * 4 + t]!;
        if (n > 0) transitions.push({ from: ACTIONS[f]!, to: ACTIONS[t]!, count: n });
      }
    return {
      active: this.active,
      shadow: this.shadow,
      total: this.total,
      changed: this.changed,
      changedShare: this.total ? this.changed / this.total : 0,
      transitions,
    };
  }
}

// --- defaults ------------------------------------------------------------------------------------

const national = (
  channel: EventKind | '*',
  rules: Rule[],
  description: string,
  onMalformed: Action = 'warn',
  contentRules?: ContentRule[],
): Policy => ({
  id: `national:${channel === '*' ? 'default' : channel}`,
  version: 1,
  channel,
  institutionId: null,
  rules,
  default: 'allow',
  onMalformed,
  ...(contentRules ? { contentRules } : {}),
  description,
});

/** Used when no policy at all is in force for an event (an empty PolicySet). */
const DEFAULT_FALLBACK_POLICY: Policy = national(
  '*',
  [
    { minConfidence: 0.9, action: 'block' },
    { minConfidence: 0.7, action: 'review' },
    { minConfidence: 0.4, action: 'warn' },
  ],
  'Every channel without a policy of its own.',
);

/**
 * The default national policies (docs/decisions.md has them as a table). Real-time channels (call,
 * sms, url_visit) never hold for review: nobody can review a ringing call. Money and account channels
 * do.
 */
/** Account and card openings follow one set of rules: card dealers and SIM-box operators are refused. */
const OPENING_RULES: Rule[] = [
  {
    categories: ['card_account_dealing', 'sim_box'],
    minConfidence: 0.7,
    action: 'block',
    reason: 'card_dealing',
  },
  { minConfidence: 0.8, action: 'review' },
  { minConfidence: 0.5, action: 'warn' },
];

export const DEFAULT_POLICIES: readonly Policy[] = Object.freeze([
  DEFAULT_FALLBACK_POLICY,
  national(
    'call',
    [
      {
        categories: ['sim_box'],
        partyRoles: ['caller'],
        minConfidence: 0.8,
        action: 'block',
        reason: 'sim_box',
      },
      { minConfidence: 0.9, action: 'block' },
      { minConfidence: 0.6, action: 'warn' },
    ],
    'Voice calls: block well-established listings, warn the callee on likely ones.',
  ),
  national(
    'sms',
    [
      {
        categories: ['sim_box'],
        partyRoles: ['sender'],
        minConfidence: 0.8,
        action: 'block',
        reason: 'sim_box',
      },
      { partyRoles: ['content_url'], minConfidence: 0.8, action: 'block', reason: 'listed_link' },
      { minConfidence: 0.9, action: 'block' },
      { minConfidence: 0.6, action: 'warn' },
    ],
    'Text messages: links in the text are blocked at a lower confidence than numbers; a text the classifier reads as a scam is warned about.',
    'warn',
    [{ minProbability: 0.7, action: 'warn', reason: 'scam_text' }],
  ),
  national(
    'url_visit',
    [
      { minConfidence: 0.8, action: 'block' },
      { minConfidence: 0.5, action: 'warn' },
    ],
    'Link visits (browsers, gateways, DNS): interstitial warning below block.',
  ),
  national(
    'transfer',
    [
      { partyRoles: ['payee'], minConfidence: 0.9, action: 'block' },
      { partyRoles: ['payee'], minConfidence: 0.6, action: 'review' },
      { categories: ['card_account_dealing'], minConfidence: 0.7, action: 'review', reason: 'mule_account' },
      { minConfidence: 0.8, action: 'review' },
      { minConfidence: 0.3, action: 'warn' },
    ],
    'Transfers: a listed payee is held or blocked; a listed payer or device is held for review.',
  ),
  national(
    'account_opening',
    [...OPENING_RULES],
    'Account openings: card dealers and SIM-box operators are refused; others held for review.',
    'review',
  ),
  national('card_opening', OPENING_RULES, 'Bank and phone card openings: as account openings.', 'review'),
]);
