import { piiContext, type PiiCipher } from '../../privacy/crypto.ts';

/**
 * Holder ids of the cards and accounts published into the record stream are personal data: the
 * sequencer seals them (AES-256-GCM under the active personal-data key, bound to the entry's
 * gseq) and the workers open them. A sealed id reads `pii:<key id>:<base64url>`; an identity
 * number never starts so, and an id published without keys (tests) passes as it is.
 */
const SEALED = 'pii:';

const context = (gseq: number) => piiContext('detection_records', 'holder', String(gseq));

export function sealHolder(pii: PiiCipher, holderId: string, gseq: number): string {
  if (holderId === '') return '';
  const e = pii.encrypt(holderId, context(gseq));
  return `${SEALED}${e.keyId}:${e.ciphertext.toString('base64url')}`;
}

/** The holder id of a published entry; throws when it is sealed and no keys are given. */
export function openHolder(pii: PiiCipher | undefined, value: string, gseq: number): string {
  if (!value.startsWith(SEALED)) return value;
  if (pii === undefined)
    throw new Error(
      `entry ${gseq}: the holder is sealed; the worker needs the personal-data keys (INTERDICT_PII_KEYS or the data folder's keys.json)`,
    );
  const i = value.indexOf(':', SEALED.length);
  return pii.decrypt(
    value.slice(SEALED.length, i),
    Buffer.from(value.slice(i + 1), 'base64url'),
    context(gseq),
  );
}
