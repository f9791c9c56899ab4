/**
 * Hashed n-gram features of a normalised message (see ../text/fold.ts), computed without building
 * substrings: every n-gram is hashed with FNV-1a over its char codes while the text is walked once.
 *
 * - Chinese (`zh`): character 1-, 2- and 3-grams over the whole text.
 * - English (`en`): word unigrams and bigrams, character 1- to 5-grams inside words padded with one
 *   space on each side, punctuation characters and token classes (numbers, short codes, phone
 *   numbers, prices, links).
 *
 * Digits are hashed as `0` (a phone number and an amount become shapes: `00000000000`), which
 * generalises over numbers never seen in training. Each feature keeps its span in the text, so the
 * explanation can name it without a reverse map of hashes.
 */

export type Language = 'zh' | 'en';

export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Feature kinds, mixed into the hash so that a word and the same characters differ. */
export const KIND_CHAR = 0;
export const KIND_WORD = 1;
export const KIND_BIGRAM = 2;
export const KIND_PUNCT = 3;
export const KIND_CLASS = 4;

/** A reusable buffer of features: hashes and the span [start, end) each came from. */
export class FeatureBuffer {
  hashes: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  kinds: Uint8Array;
  length = 0;

  constructor(capacity = 1024) {
    this.hashes = new Int32Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.kinds = new Uint8Array(capacity);
  }

  reset(): void {
    this.length = 0;
  }

  push(hash: number, start: number, end: number, kind: number): void {
    if (this.length === this.hashes.length) this.grow();
    const i = this.length++;
    this.hashes[i] = hash;
    this.starts[i] = start;
    this.ends[i] = end;
    this.kinds[i] = kind;
  }

  private grow(): void {
    const n = this.hashes.length * 2;
    const h = new Int32Array(n);
    h.set(this.hashes);
    const s = new Int32Array(n);
    s.set(this.starts);
    const e = new Int32Array(n);
    e.set(this.ends);
    const k = new Uint8Array(n);
    k.set(this.kinds);
    this.hashes = h;
    this.starts = s;
    this.ends = e;
    this.kinds = k;
  }
}

/** Char code as hashed: every digit is `0`. */
function hashCode(c: number): number {
  return c >= 0x31 && c <= 0x39 ? 0x30 : c;
}

function mix(h: number, c: number): number {
  return Math.imul(h ^ c, FNV_PRIME);
}

/** Final avalanche (murmur3 fmix32), so that the low bits used as the bucket are well spread. */
export function finalise(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

const isSpace = (c: number) => c === 0x20;

/** Whether `c` is a CJK ideograph, kana or hangul syllable (BMP only). */
export function isCjk(c: number): boolean {
  return (
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0x3040 && c <= 0x30ff) ||
    (c >= 0xac00 && c <= 0xd7af)
  );
}

/** Word characters of the English tokeniser: ASCII letters and digits, Latin letters, £ $ €. */
function isWordChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7) ||
    c === 0x24 ||
    c === 0xa3 ||
    c === 0x20ac ||
    c === 0x27
  );
}

/**
 * The language by script: `zh` when CJK characters are at least a fifth of the letters (CJK +
 * Latin), else `en`. A text without letters is `en`.
 */
export function detectLanguage(text: string): Language {
  let cjk = 0;
  let latin = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isCjk(c)) cjk++;
    else if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) latin++;
  }
  return cjk > 0 && cjk * 5 >= cjk + latin ? 'zh' : 'en';
}

/** Character n-grams (orders minN..maxN) of text[from, to), skipping n-grams that start with a space. */
function charGrams(
  text: string,
  from: number,
  to: number,
  minN: number,
  maxN: number,
  out: FeatureBuffer,
): void {
  for (let i = from; i < to; i++) {
    const first = text.charCodeAt(i);
    if (isSpace(first) && maxN > 1 && i + 1 < to && isSpace(text.charCodeAt(i + 1))) continue;
    let h = mix(FNV_OFFSET ^ KIND_CHAR, hashCode(first));
    if (minN <= 1) out.push(finalise(h), i, i + 1, KIND_CHAR);
    for (let n = 2; n <= maxN && i + n <= to; n++) {
      h = mix(h, hashCode(text.charCodeAt(i + n - 1)));
      if (n >= minN) out.push(finalise(h), i, i + n, KIND_CHAR);
    }
  }
}

/** Chinese: character 1-3-grams of the whole (normalised) text. */
export function zhFeatures(text: string, out: FeatureBuffer): void {
  out.reset();
  charGrams(text, 0, text.length, 1, 3, out);
}

/** Token classes of the English tokeniser: shapes that spam uses and that words alone miss. */
const CLASS_NUM = 1; // any digit in the word
const CLASS_ALNUM = 2; // digits and letters mixed (2nite, 08452810075over18's)
const CLASS_SHORTCODE = 3; // 5-6 digits alone (text WIN to 80086)
const CLASS_PHONE = 4; // 9 or more digits
const CLASS_MONEY = 5; // £ $ € in the word, or a price in pence (150p, 50ppm)
const CLASS_URL = 6; // http, https, www, or a .com/.net/.org/.uk/.biz/.info part

const CLASS_NAMES = ['', '‹number›', '‹digits+letters›', '‹short code›', '‹phone›', '‹price›', '‹link›'];

const classHashes = Array.from({ length: 7 }, (_, c) => finalise(mix(FNV_OFFSET ^ KIND_CLASS, c)));

function isAsciiDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Whether text[from, to) is one of the (short, lower-case) words. */
function oneOf(text: string, from: number, to: number, words: readonly string[]): boolean {
  for (const w of words) if (w.length === to - from && text.startsWith(w, from)) return true;
  return false;
}

const PENCE = ['p', 'ppm', 'pence', 'pmin', 'pw', 'pm'];
const URL_WORDS = ['http', 'https', 'www'];
const URL_TLDS = ['com', 'net', 'org', 'uk', 'biz', 'info'];

/**
 * English, for messages of a few words where spam hides in shapes and spellings: word 1-2-grams;
 * character 1-5-grams inside each word padded by one space (the `char_wb` features of scikit-learn,
 * robust to txt-speak and misspellings); one feature per punctuation character; and token
 * classes (see CLASS_*). The model reads each bucket once per message (binary features).
 */
export function enFeatures(text: string, out: FeatureBuffer): void {
  out.reset();
  const n = text.length;
  let prevHash = 0;
  let prevStart = -1;
  let i = 0;
  while (i < n) {
    while (i < n && !isWordChar(text.charCodeAt(i))) {
      const c = text.charCodeAt(i);
      if (!isSpace(c)) out.push(finalise(mix(FNV_OFFSET ^ KIND_PUNCT, c)), i, i + 1, KIND_PUNCT);
      i++;
    }
    if (i >= n) break;
    const start = i;
    let h = FNV_OFFSET ^ KIND_WORD;
    let digits = 0;
    let currency = false;
    let firstNonDigit = -1;
    while (i < n && isWordChar(text.charCodeAt(i))) {
      const c = text.charCodeAt(i);
      if (isAsciiDigit(c)) digits++;
      else {
        if (firstNonDigit < 0) firstNonDigit = i;
        if (c === 0x24 || c === 0xa3 || c === 0x20ac) currency = true;
      }
      h = mix(h, hashCode(c));
      i++;
    }
    const end = i;
    out.push(finalise(h), start, end, KIND_WORD);
    if (prevStart >= 0)
      out.push(finalise(mix(Math.imul(prevHash, 31) ^ KIND_BIGRAM, h)), prevStart, end, KIND_BIGRAM);
    prevHash = h;
    prevStart = start;
    // Token classes.
    const len = end - start;
    if (digits > 0) {
      out.push(classHashes[CLASS_NUM]!, start, end, KIND_CLASS);
      if (digits < len && !currency) out.push(classHashes[CLASS_ALNUM]!, start, end, KIND_CLASS);
      if (digits === len && digits >= 5 && digits <= 6)
        out.push(classHashes[CLASS_SHORTCODE]!, start, end, KIND_CLASS);
      if (digits >= 9) out.push(classHashes[CLASS_PHONE]!, start, end, KIND_CLASS);
    }
    if (currency || (firstNonDigit > start && oneOf(text, firstNonDigit, end, PENCE)))
      out.push(classHashes[CLASS_MONEY]!, start, end, KIND_CLASS);
    if (
      oneOf(text, start, end, URL_WORDS) ||
      (start > 0 && text.charCodeAt(start - 1) === 0x2e && oneOf(text, start, end, URL_TLDS))
    )
      out.push(classHashes[CLASS_URL]!, start, end, KIND_CLASS);
    // Character 1-5-grams of " word ": the padding marks the word's edges.
    const padded = len + 2;
    for (let a = 0; a < padded; a++) {
      let g = FNV_OFFSET ^ KIND_CHAR;
      for (let k = 0; k < 5 && a + k < padded; k++) {
        const p = a + k;
        const edge = p === 0 || p === padded - 1;
        g = mix(g, edge ? 0x20 : hashCode(text.charCodeAt(start + p - 1)));
        // Not a lone padding space.
        if (k > 0 || !edge)
          out.push(finalise(g), Math.max(start, start + a - 1), Math.min(end, start + a + k), KIND_CHAR);
      }
    }
  }
}

export function extractFeatures(text: string, lang: Language, out: FeatureBuffer): void {
  if (lang === 'zh') zhFeatures(text, out);
  else enFeatures(text, out);
}

/** A feature as people read it: the n-gram's text (for a word bigram, both words), or its token class. */
export function featureName(text: string, buf: FeatureBuffer, i: number): string {
  if (buf.kinds[i] === KIND_CLASS) return CLASS_NAMES[classHashes.indexOf(buf.hashes[i]!)] ?? '';
  // The normalised text has single spaces only (see foldText): trimming is enough.
  return text.slice(buf.starts[i]!, buf.ends[i]!).trim();
}
