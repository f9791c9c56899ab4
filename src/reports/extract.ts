/**
 * Indicators in free text: phone numbers, URLs, bank cards, payment and internet accounts, amounts of
 * money and apps, as people write them in reports and as scam messages write them to get past filters
 * (full-width and spaced digits, Chinese numerals, `www . evil . com`, `evil点com`, `hxxp://`, emoji
 * between characters). Every value is canonicalised by the normalisers in src/core/normalize, and every
 * occurrence keeps its span in the original text. See docs/normalisation.md, "Indicators in free text".
 *
 * The text is folded once (offset-preserving, see extract/fold-map.ts), then scanned by a handful of
 * precompiled, backtracking-safe regexes and one linear digit-run pass. Order matters: URLs and
 * amounts claim their stretch first, so digits inside them are not read as phone numbers.
 */
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import { extractAccounts, extractAppNames } from './extract/accounts.ts';
import { extractAmounts } from './extract/amounts.ts';
import { extractDigits } from './extract/digits.ts';
import { foldWithOffsets } from './extract/fold-map.ts';
import { Collector, type Extraction, type Indicator } from './extract/types.ts';
import { extractUrls } from './extract/urls.ts';

export type {
  AmountIndicator,
  AppIndicator,
  BankCardIndicator,
  Currency,
  ExtractedKind,
  Extraction,
  Indicator,
  InternetAccountIndicator,
  PaymentAccountIndicator,
  PhoneIndicator,
  Span,
  UrlIndicator,
} from './extract/types.ts';
export { chineseNumber } from './extract/amounts.ts';
export { foldWithOffsets, type FoldedText } from './extract/fold-map.ts';

export interface ExtractOptions {
  /** ISO region for phone numbers written without a country code (default `CN`). */
  defaultRegion?: string;
}

/** Longest text scanned, in UTF-16 units; the rest is ignored. */
export const MAX_EXTRACT_INPUT = 1_000_000;

/**
 * Finds the indicators in `text`. The same canonical value written several times is returned once,
 * with every span. Never throws; an empty or non-string input gives empty lists.
 */
export function extractIndicators(text: string, opts?: ExtractOptions): Extraction {
  const out: Extraction = {
    phones: [],
    urls: [],
    bankCards: [],
    paymentAccounts: [],
    internetAccounts: [],
    amounts: [],
    apps: [],
  };
  if (typeof text !== 'string' || text.length === 0) return out;
  const input = text.length > MAX_EXTRACT_INPUT ? text.slice(0, MAX_EXTRACT_INPUT) : text;
  const region: CountryCode =
    opts?.defaultRegion !== undefined && isSupportedCountry(opts.defaultRegion.toUpperCase())
      ? (opts.defaultRegion.toUpperCase() as CountryCode)
      : 'CN';
  const c = new Collector(input, foldWithOffsets(input));
  extractUrls(c);
  extractAmounts(c);
  extractAccounts(c, region);
  extractDigits(c, region);
  extractAppNames(c);

  const all = [...c.found.values()];
  for (const ind of all) ind.spans.sort((x, y) => x.start - y.start);
  all.sort((x, y) => x.spans[0]!.start - y.spans[0]!.start);
  for (const ind of all) push(out, ind);
  return out;
}

function push(out: Extraction, ind: Indicator): void {
  switch (ind.kind) {
    case 'phone':
      out.phones.push(ind);
      break;
    case 'url':
      out.urls.push(ind);
      break;
    case 'bank_card':
      out.bankCards.push(ind);
      break;
    case 'payment_account':
      out.paymentAccounts.push(ind);
      break;
    case 'internet_account':
      out.internetAccounts.push(ind);
      break;
    case 'amount':
      out.amounts.push(ind);
      break;
    case 'app':
      out.apps.push(ind);
      break;
  }
}
