/**
 * Offset-preserving evasion fold for indicator extraction. The folded text is what the extractors
 * scan; every folded UTF-16 unit remembers the original range it came from, so a match in the folded
 * text maps back to a span of the original.
 *
 * Per character: full-width ASCII and other compatibility forms (`１`, `ｗ`, `①`, `𝟏`, `﹒`) are NFKC-folded;
 * Unicode spaces become a space and dashes `-`; zero-width and bidi controls, variation selectors,
 * combining marks, emoji and other symbols (So) and arrows are dropped, so `1🔥3` reads `13`.
 * CJK text and the full-width comma `，` are copied as they are; `。` stays (the URL pass reads it as a dot where it sits between labels).
 */

export interface FoldedText {
  /** The folded text. */
  readonly s: string;
  /** For folded unit i: the original start offset. */
  readonly from: Int32Array;
  /** For folded unit i: the original end offset (exclusive). */
  readonly to: Int32Array;
}

const JUNK_SYMBOL = /^[\p{Extended_Pictographic}\p{So}]$/u;

function isInvisible(cp: number): boolean {
  return (
    cp === 0xad ||
    cp === 0x34f ||
    cp === 0x61c ||
    cp === 0x180e ||
    (cp >= 0x300 && cp <= 0x36f) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x206f) ||
    (cp >= 0x20d0 && cp <= 0x20ff) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    cp === 0xfeff ||
    (cp >= 0x1f3fb && cp <= 0x1f3ff) ||
    (cp >= 0xe0000 && cp <= 0xe01ef)
  );
}

function isSpace(cp: number): boolean {
  return cp === 0xa0 || cp === 0x3000 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x202f || cp === 0x205f;
}

function isDash(cp: number): boolean {
  return (cp >= 0x2010 && cp <= 0x2015) || cp === 0x2212 || cp === 0xfe58 || cp === 0xfe63;
}

/** Circled digits that NFKC leaves alone (dingbat, negative, double-circled), else null. */
function decorativeDigit(cp: number): string | null {
  if (cp >= 0x2776 && cp <= 0x277e) return String(cp - 0x2776 + 1);
  if (cp >= 0x2780 && cp <= 0x2788) return String(cp - 0x2780 + 1);
  if (cp >= 0x278a && cp <= 0x2792) return String(cp - 0x278a + 1);
  if (cp >= 0x24f5 && cp <= 0x24fd) return String(cp - 0x24f5 + 1);
  if (cp === 0x24ff || cp === 0x24ea) return '0';
  return null;
}

/** Ranges where NFKC of a single character may give ASCII (or a different character we want). */
function needsNfkc(cp: number): boolean {
  return (
    (cp >= 0xb2 && cp <= 0xbe) ||
    (cp >= 0x2070 && cp <= 0x209f) ||
    (cp >= 0x2100 && cp <= 0x218f) ||
    (cp >= 0x2460 && cp <= 0x24ff) ||
    (cp >= 0x3200 && cp <= 0x33ff) ||
    (cp >= 0xfe50 && cp <= 0xfe6f) ||
    (cp >= 0xff00 && cp <= 0xffef) ||
    (cp >= 0x1d400 && cp <= 0x1d7ff) ||
    (cp >= 0x1f100 && cp <= 0x1f1ff)
  );
}

/** Candidates for the emoji/symbol test: everything non-ASCII outside the big script blocks. */
function maybeSymbol(cp: number): boolean {
  if (cp < 0xa0) return false;
  if (cp >= 0x3400 && cp <= 0x9fff) return false; // CJK ideographs
  if (cp >= 0xac00 && cp <= 0xd7af) return false; // Hangul
  if (cp >= 0x2190 && cp <= 0x21ff) return true; // arrows (partly Sm)
  return JUNK_SYMBOL.test(String.fromCodePoint(cp));
}

/** Folds `text` for scanning; see the module comment. Linear in the input. */
export function foldWithOffsets(text: string): FoldedText {
  const n = text.length;
  const from = new Int32Array(n + 8);
  const to = new Int32Array(n + 8);
  let fromArr = from;
  let toArr = to;
  const parts: string[] = [];
  let len = 0;
  let copyStart = 0; // start of a pending run of unchanged characters (original == folded)

  const push = (chunk: string, a: number, b: number) => {
    if (len + chunk.length > fromArr.length) {
      const grownFrom = new Int32Array((len + chunk.length) * 2);
      const grownTo = new Int32Array((len + chunk.length) * 2);
      grownFrom.set(fromArr);
      grownTo.set(toArr);
      fromArr = grownFrom;
      toArr = grownTo;
    }
    for (let k = 0; k < chunk.length; k++) {
      fromArr[len] = a;
      toArr[len] = b;
      len++;
    }
    parts.push(chunk);
  };
  const flush = (upTo: number) => {
    if (upTo <= copyStart) return;
    const chunk = text.slice(copyStart, upTo);
    if (len + chunk.length > fromArr.length) {
      const grownFrom = new Int32Array((len + chunk.length) * 2);
      const grownTo = new Int32Array((len + chunk.length) * 2);
      grownFrom.set(fromArr);
      grownTo.set(toArr);
      fromArr = grownFrom;
      toArr = grownTo;
    }
    for (let k = copyStart; k < upTo; k++) {
      fromArr[len] = k;
      toArr[len] = k + 1;
      len++;
    }
    parts.push(chunk);
  };

  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 0xa0 && c !== 0xad) {
      i++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    let replacement: string | null = null;
    if (isInvisible(cp)) replacement = '';
    // The full-width comma stays: in Chinese text it separates clauses, not digit groups (5,000，5万).
    else if (cp === 0xff0c) replacement = null;
    else if (cp >= 0xff01 && cp <= 0xff5e) replacement = String.fromCharCode(cp - 0xfee0);
    else if (isSpace(cp)) replacement = ' ';
    else if (isDash(cp)) replacement = '-';
    else if ((replacement = decorativeDigit(cp)) !== null) {
      // ❶ ➀ ➊ ⓵ ⓿: digits NFKC leaves alone
    } else if (needsNfkc(cp)) {
      const nf = String.fromCodePoint(cp).normalize('NFKC');
      if (nf.length > 0 && nf !== String.fromCodePoint(cp)) replacement = nf;
      else if (maybeSymbol(cp)) replacement = '';
    } else if (w === 2 && (cp < 0x20000 || cp > 0x3ffff) && maybeSymbol(cp)) replacement = '';
    else if (w === 1 && maybeSymbol(cp)) replacement = '';

    if (replacement === null) {
      // Unchanged: (a surrogate pair is two unchanged units)
      i += w;
      continue;
    }
    flush(i);
    if (replacement.length > 0) push(replacement, i, i + w);
    i += w;
    copyStart = i;
  }
  flush(n);
  const s = parts.length === 1 ? parts[0]! : parts.join('');
  return { s, from: fromArr.subarray(0, len), to: toArr.subarray(0, len) };
}
