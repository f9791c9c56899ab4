/** Types shared by the free-text indicator extractors, and the collector that deduplicates them. */
import type { PhoneLineType, ShortCodeInfo } from '../../core/normalize/index.ts';
import type { InternetPlatform } from '../../core/normalize/index.ts';
import type { FoldedText } from './fold-map.ts';

/** Where an indicator was written: offsets into the original text (UTF-16, end exclusive). */
export interface Span {
  readonly start: number;
  readonly end: number;
  /** The original text of the span. */
  readonly raw: string;
}

export type Currency = 'CNY' | 'USD' | 'GBP' | 'EUR' | 'HKD';

interface Found<K extends string> {
  readonly kind: K;
  /** Canonical value: the key the registry (or an amount comparison) uses. */
  readonly value: string;
  /** Every place the value was written, in text order. */
  readonly spans: Span[];
}

export interface PhoneIndicator extends Found<'phone'> {
  readonly country: string;
  readonly lineType: PhoneLineType;
  readonly shortCode?: ShortCodeInfo;
}

export interface UrlIndicator extends Found<'url'> {
  readonly host: string;
  readonly registrableDomain: string | null;
  /** Written without a scheme (`evil.example/x`, `www.evil.com`). */
  readonly schemeless: boolean;
  /** Written to evade filters: spaces or `[.]`/`(dot)`/`点`/`。` as dots, `hxxp`. */
  readonly obfuscated: boolean;
  /** The host is a known URL shortener (`t.cn`, `bit.ly`, …). */
  readonly shortener: boolean;
}

export interface BankCardIndicator extends Found<'bank_card'> {
  readonly bin: string;
  readonly last4: string;
}

export interface PaymentAccountIndicator extends Found<'payment_account'> {
  readonly provider: string;
  readonly id: string;
}

export interface InternetAccountIndicator extends Found<'internet_account'> {
  readonly platform: InternetPlatform;
  readonly id: string;
}

export interface AmountIndicator extends Found<'amount'> {
  /** Plain decimal, no grouping, no trailing fractional zeros: `5000`, `1200.5`, `35000`. */
  readonly amount: string;
  readonly currency: Currency;
}

/**
 * `package`: `pkg:com.example.app` (package name or Google Play link); `name`: `name:<lowercased name>`
 * (written in 《》 or quotes next to 下载/安装/APP/软件/客户端); `download`: the canonical URL of an `.apk`
 * link; `store`: `appstore:<id>` for an Apple App Store link.
 */
export interface AppIndicator extends Found<'app'> {
  readonly form: 'package' | 'name' | 'download' | 'store';
}

export type Indicator =
  | PhoneIndicator
  | UrlIndicator
  | BankCardIndicator
  | PaymentAccountIndicator
  | InternetAccountIndicator
  | AmountIndicator
  | AppIndicator;

export type ExtractedKind = Indicator['kind'];

/** What was found, one list per kind, each in order of first appearance. */
export interface Extraction {
  readonly phones: PhoneIndicator[];
  readonly urls: UrlIndicator[];
  readonly bankCards: BankCardIndicator[];
  readonly paymentAccounts: PaymentAccountIndicator[];
  readonly internetAccounts: InternetAccountIndicator[];
  readonly amounts: AmountIndicator[];
  readonly apps: AppIndicator[];
}

type Extra<I extends Indicator> = Omit<I, 'kind' | 'value' | 'spans'>;

/**
 * Scanning state: the original and folded text, ranges of the folded text already claimed (URLs and
 * amounts are not read again as phone numbers), and the deduplicating result map.
 */
export class Collector {
  readonly found = new Map<string, Indicator>();
  /** 1 where a folded unit lies inside a URL, amount or account id already taken. */
  readonly taken: Uint8Array;

  constructor(
    readonly text: string,
    readonly folded: FoldedText,
  ) {
    this.taken = new Uint8Array(folded.s.length);
  }

  /** The original span of folded units [a, b). */
  span(a: number, b: number): Span {
    const start = this.folded.from[a]!;
    const end = this.folded.to[b - 1]!;
    return { start, end, raw: this.text.slice(start, end) };
  }

  take(a: number, b: number): void {
    this.taken.fill(1, a, b);
  }

  isTaken(a: number, b: number): boolean {
    for (let i = a; i < b; i++) if (this.taken[i] === 1) return true;
    return false;
  }

  add<I extends Indicator>(kind: I['kind'], value: string, a: number, b: number, extra: Extra<I>): void {
    const sp = this.span(a, b);
    const key = kind + '\u0000' + value;
    const prev = this.found.get(key);
    if (prev) {
      if (!prev.spans.some((x) => x.start === sp.start && x.end === sp.end)) prev.spans.push(sp);
      return;
    }
    this.found.set(key, { kind, value, spans: [sp], ...extra } as unknown as Indicator);
  }
}
