import type { Services } from '../../src/api/types.ts';
import { SYSTEM } from '../../src/core/audit.ts';
import { addBankAccount, addPhoneCard, ensurePerson } from '../../src/privacy/service.ts';

/** A test person holding one consumer card (since 2021) and, when `account` is named, a personal bank account. */
export async function seedCardHolder(
  services: Services,
  orgs: { telcoId: string; bankId?: string },
  p: { name: string; id: string; card: string; account?: string },
): Promise<string> {
  const { id } = await ensurePerson(services.db, services.pii, services.bus, SYSTEM, {
    name: p.name,
    idNumber: p.id,
  });
  await addPhoneCard(services.db, SYSTEM, {
    msisdn: p.card,
    imsi: null,
    holderPersonId: id,
    operatorOrgId: orgs.telcoId,
    cardType: 'consumer',
    holderRegion: null,
    activatedAt: '2021-01-01T00:00:00+08:00',
  });
  if (p.account) {
    if (!orgs.bankId) throw new Error(`seedCardHolder: ${p.account} needs a bankId`);
    await addBankAccount(services.db, SYSTEM, {
      account: p.account,
      institutionOrgId: orgs.bankId,
      holderPersonId: id,
      accountType: 'personal',
      openedAt: '2015-01-01T00:00:00+08:00',
    });
  }
  return id;
}
