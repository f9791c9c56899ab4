/**
 * Evasion normalisation for message text: scammers write 加 微 信, ｗｅｃｈａｔ, 1 3 8-OO13-8000,
 * ➊➌➑ or put emoji and zero-width characters between characters so that keyword filters miss
 * them. `foldText` undoes the character-level tricks, `squeezeSeparators` the inserted
 * separators. Both are pure, allocation-light enough for a hot path, and idempotent.
 */

/** Zero-width characters, joiners, bidi marks, soft hyphen, variation selectors, keycap. */
// The classes list lone combining marks on purpose: each is removed by itself.
/* eslint-disable no-misleading-character-class */
const INVISIBLE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u20E3\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0100}-\u{E01EF}]/gu;

/** Decorative combining marks left over after NFKC (strike-through, underline, enclosing). */
const DECORATIVE_MARKS = /[\u0300-\u036F\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE20-\uFE2F]/gu;
/* eslint-enable no-misleading-character-class */

/**
 * Emoji, pictographs, other symbols (★ ♥ ☎ ✆ ➤ ─), private-use glyphs and decorative dots used as
 * separators: each becomes a space.
 */
const DECORATIONS =
  /[\p{Extended_Pictographic}\p{So}\p{Co}\u2022\u2027\u2219\u22C5\u00B7\u30FB\u203B\u00A4]/gu;

/** Digits that NFKC leaves alone: dingbat and negative circled digits, double-circled digits. */
function decorativeDigit(cp: number): string | undefined {
  if (cp >= 0x2776 && cp <= 0x277f) return String(cp - 0x2776 + 1); // ❶..❿
  if (cp >= 0x2780 && cp <= 0x2789) return String(cp - 0x2780 + 1); // ➀..➉
  if (cp >= 0x278a && cp <= 0x2793) return String(cp - 0x278a + 1); // ➊..➓
  if (cp >= 0x24eb && cp <= 0x24f4) return String(cp - 0x24eb + 11); // ⓫..⓴
  if (cp >= 0x24f5 && cp <= 0x24fe) return String(cp - 0x24f5 + 1); // ⓵..⓾
  if (cp === 0x24ff || cp === 0x24ea) return '0'; // ⓿ ⓪
  if (cp >= 0x1f10b && cp <= 0x1f10c) return '0'; // 🄋 🄌
  return undefined;
}

const DECORATIVE_DIGIT = /[\u2776-\u2793\u24EA\u24EB-\u24FF\u{1F10B}\u{1F10C}]/gu;

/** Letters that stand for digits inside a digit run (after lower-casing). */
function homoglyphDigit(c: number): number {
  // o → 0; l, i, | → 1
  if (c === 0x6f) return 0x30;
  if (c === 0x6c || c === 0x69 || c === 0x7c) return 0x31;
  return 0;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

const isGap = (c: number) => c === 0x20 || c === 0x2d;

/** Whether a digit is next to position `i` going in direction `d`, across spaces and hyphens. */
function digitBeside(s: string, i: number, d: 1 | -1): boolean {
  for (let k = i; k >= 0 && k < s.length; k += d) {
    const c = s.charCodeAt(k);
    if (isDigit(c)) return true;
    if (!isGap(c)) return false;
  }
  return false;
}

/**
 * Replaces o / l / i / | by 0 / 1 / 1 / 1 where a run of them has a digit on both sides (across
 * spaces and hyphens: `138-OO13-8000`), or ends a number it is glued to (`8OOO`).
 */
function foldDigitHomoglyphs(s: string): string {
  // Fast path: most texts have no such letter between digits.
  let out: string[] | undefined;
  const n = s.length;
  for (let i = 1; i < n; i++) {
    if (homoglyphDigit(s.charCodeAt(i)) === 0) continue;
    let j = i;
    while (j < n && homoglyphDigit(s.charCodeAt(j)) !== 0) j++;
    const left = digitBeside(s, i - 1, -1);
    // A run that ends a number (`8OOO`) counts when glued to the digits before it.
    const ends = isDigit(s.charCodeAt(i - 1)) && (j >= n || !/\p{L}/u.test(s[j]!));
    if (left && (ends || digitBeside(s, j, 1))) {
      out ??= s.split('');
      for (let k = i; k < j; k++) out[k] = String.fromCharCode(homoglyphDigit(s.charCodeAt(k)));
    }
    i = j;
  }
  return out ? out.join('') : s;
}

/**
 * Folds the character-level evasions of a message: NFKC (full-width ｗｅｃｈａｔ → wechat, ①②
 * → 12), lower case, dingbat digits (➊ → 1), letters standing for digits inside digit runs
 * (1OO86 → 10086, 13l4 → 1314), zero-width characters and variation selectors removed, emoji and
 * decorative symbols turned into a space, whitespace collapsed to one space and trimmed.
 */
export function foldText(s: string): string {
  let t = s.replace(INVISIBLE, '');
  t = t.replace(DECORATIVE_DIGIT, (ch) => decorativeDigit(ch.codePointAt(0)!) ?? ch);
  t = t.normalize('NFKC');
  // NFKC can produce marks again only for decorations: drop them, then lower-case.
  t = t.replace(DECORATIVE_MARKS, '').toLowerCase();
  t = t.replace(DECORATIONS, ' ');
  t = foldDigitHomoglyphs(t);
  t = t.replace(/\s+/gu, ' ').trim();
  return t;
}

/** CJK ideographs (unified, extension A, compatibility), kana and hangul syllables. */
const CJK = '\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uF900-\\uFAFF\\u3040-\\u30FF\\uAC00-\\uD7AF';
/** What may be inserted between two CJK characters or two digits to split a word or number. */
const SEP =
  '\\s\\-_*|/\\\\~+=^`\'"#.·•‧∙⋅※¤\\u2010-\\u2015\\u3000\\u30FB\\u200B-\\u200D\\u2060\\uFEFF\\uFE0F\\u20E3\\p{Extended_Pictographic}\\p{So}';
/** Between digits, "." and "," are decimal or thousands marks and stay. */
const SEP_DIGIT = SEP.replace('#.', '#');

// eslint-disable-next-line no-misleading-character-class
const CJK_RUN = new RegExp(`([${CJK}])[${SEP}]+(?=[${CJK}])`, 'gu');
const DIGIT_RUN = new RegExp(`(\\d)[${SEP_DIGIT}]+(?=\\d)`, 'gu');

/**
 * Removes spaces, symbols and emoji inserted between two CJK characters or between two digits:
 * `加 微 信` → `加微信`, `1 3 8-0013-8000` → `13800138000`. Sentence punctuation (，。) and
 * decimal or thousands marks between digits (3.5, 1,000) are kept.
 */
export function squeezeSeparators(s: string): string {
  return s.replace(CJK_RUN, '$1').replace(DIGIT_RUN, '$1');
}

/** `squeezeSeparators(foldText(s))`: what the classifier reads. */
export function normaliseMessage(s: string): string {
  return squeezeSeparators(foldText(s));
}
