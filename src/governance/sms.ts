import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../core/db/schema.ts';
import { piiContext, type PiiCipher } from '../privacy/crypto.ts';
import './registered-tables.ts';

/**
 * Puts a text message to a citizen in the SMS outbox (`outbound_messages`), in the caller's
 * transaction: recipient and text encrypted, sent by the messaging gateway. Plain text with no
 * link, in the manner of the national anti-fraud messages (a link in an SMS is what scams use).
 */
export async function queueSms(
  q: Kysely<DB>,
  pii: PiiCipher,
  phone: string,
  body: string,
  purpose: string,
): Promise<string> {
  const id = crypto.randomUUID();
  const enc = (col: string, plain: string) =>
    pii.encrypt(plain, piiContext('outbound_messages', col, id)).ciphertext;
  await q
    .insertInto('outbound_messages')
    .values({
      id,
      channel: 'sms',
      purpose,
      key_id: pii.activeKeyId,
      recipient_enc: enc('recipient_enc', phone),
      body_enc: enc('body_enc', body),
    })
    .execute();
  return id;
}
