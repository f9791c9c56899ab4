import smpp from 'smpp';

/**
 * How a text becomes SMS (docs/channels.md, "Encoding"): the GSM 03.38 default alphabet
 * (data_coding 0) when every character is in it, else UCS-2 (data_coding 8, what Chinese needs).
 * A text longer than one SMS goes as concatenated parts, each with a User Data Header naming its
 * reference, count and number: every handset and SMSC reassembles those, while message_payload is
 * optional in SMPP 3.4 and many SMSCs refuse or silently truncate it.
 */

export const DATA_CODING_GSM = 0x00;
export const DATA_CODING_UCS2 = 0x08;
/** esm_class bit saying short_message starts with a User Data Header. */
export const ESM_UDHI = 0x40;

/** One SMS: 140 octets of user data. GSM septets travel unpacked in SMPP, one per octet. */
const GSM_SINGLE = 160;
const GSM_PART = 153; // 160 less the 6-octet concatenation header (7 septets)
const UCS2_SINGLE = 70;
const UCS2_PART = 67; // (140 - 6) / 2
/** The concatenation header counts parts in one octet. */
export const MAX_PARTS = 255;

/** Characters of the GSM extension table: sent as ESC + one septet, so they count twice. */
const GSM_EXTENDED = new Set(['\f', '^', '{', '}', '\\', '[', '~', ']', '|', '€']);
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);

export type SmsAlphabet = 'gsm' | 'ucs2';

export interface SmsPart {
  dataCoding: number;
  esmClass: number;
  /** short_message: the header (if any) then the encoded text. */
  shortMessage: Buffer;
}

export class TextTooLongError extends Error {}

/** Whether every character is in the GSM default alphabet or its extension table. */
export function isGsmText(text: string): boolean {
  for (const ch of text) if (!GSM_BASIC.has(ch) && !GSM_EXTENDED.has(ch)) return false;
  return true;
}

export function alphabetOf(text: string): SmsAlphabet {
  return isGsmText(text) ? 'gsm' : 'ucs2';
}

/**
 * Splits `units` (characters with their size) into runs of at most `max` size without cutting a
 * character: an escape pair or a surrogate pair stays in one part.
 */
function split(chars: readonly string[], size: (ch: string) => number, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  let n = 0;
  for (const ch of chars) {
    const k = size(ch);
    if (n + k > max) {
      out.push(cur);
      cur = '';
      n = 0;
    }
    cur += ch;
    n += k;
  }
  if (cur || out.length === 0) out.push(cur);
  return out;
}

/** The texts of the parts `text` goes out as, and the alphabet. */
export function splitSms(text: string): { alphabet: SmsAlphabet; texts: string[] } {
  const chars = [...text];
  if (isGsmText(text)) {
    const size = (ch: string) => (GSM_EXTENDED.has(ch) ? 2 : 1);
    const total = chars.reduce((n, ch) => n + size(ch), 0);
    return { alphabet: 'gsm', texts: total <= GSM_SINGLE ? [text] : split(chars, size, GSM_PART) };
  }
  // UCS-2 counts UTF-16 code units: a character outside the BMP (an emoji) takes two.
  const size = (ch: string) => ch.length;
  return { alphabet: 'ucs2', texts: text.length <= UCS2_SINGLE ? [text] : split(chars, size, UCS2_PART) };
}

function encodeText(text: string, alphabet: SmsAlphabet): Buffer {
  if (alphabet === 'gsm') return smpp.encodings.ASCII.encode(text);
  return Buffer.from(text, 'utf16le').swap16();
}

/**
 * The submit_sm user data of `text`: one part, or concatenated parts under `reference` (0–255; a
 * new one for each attempt, so a resent text is not merged with the parts of an earlier try).
 */
export function encodeSms(text: string, reference: number): SmsPart[] {
  const { alphabet, texts } = splitSms(text);
  if (texts.length > MAX_PARTS)
    throw new TextTooLongError(`text needs ${texts.length} parts (at most ${MAX_PARTS})`);
  const dataCoding = alphabet === 'gsm' ? DATA_CODING_GSM : DATA_CODING_UCS2;
  if (texts.length === 1) return [{ dataCoding, esmClass: 0, shortMessage: encodeText(text, alphabet) }];
  return texts.map((t, i) => ({
    dataCoding,
    esmClass: ESM_UDHI,
    // IEI 0x00: concatenated short messages, 8-bit reference.
    shortMessage: Buffer.concat([
      Buffer.from([0x05, 0x00, 0x03, reference & 0xff, texts.length, i + 1]),
      encodeText(t, alphabet),
    ]),
  }));
}

/** Reads user data back into text (the tests' SMSC, and receipts): the inverse of encodeSms for one part. */
export function decodeUserData(
  shortMessage: Buffer,
  dataCoding: number,
  esmClass: number,
): { text: string; concat: { reference: number; total: number; number: number } | null } {
  let body = shortMessage;
  let concat: { reference: number; total: number; number: number } | null = null;
  if (esmClass & ESM_UDHI && shortMessage.length > 0) {
    const udhLength = shortMessage[0]! + 1;
    const udh = shortMessage.subarray(1, udhLength);
    body = shortMessage.subarray(udhLength);
    for (let i = 0; i + 1 < udh.length; i += 2 + udh[i + 1]!) {
      if (udh[i] === 0x00 && udh[i + 1] === 3)
        concat = { reference: udh[i + 2]!, total: udh[i + 3]!, number: udh[i + 4]! };
    }
  }
  const text =
    (dataCoding & 0x0f) === DATA_CODING_UCS2
      ? Buffer.from(body).swap16().toString('utf16le')
      : smpp.encodings.ASCII.decode(body);
  return { text, concat };
}
