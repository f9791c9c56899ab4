import { parsePurpose } from '../api.ts';
import type { I18n } from '../i18n/index.tsx';

/** `case:2026-0412` as “Fraud case · 2026-0412” in the current language. */
export function describePurpose(purpose: string, lookup: I18n['lookup']): string {
  const { kind, reference } = parsePurpose(purpose);
  const label = lookup(`purposes.${kind}`) ?? kind;
  return reference ? `${label} · ${reference}` : label;
}
