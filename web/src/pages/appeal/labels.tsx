import { Badge } from '@mantine/core';
import { api, type AppealStatus } from '../../api.ts';
import { useI18n } from '../../i18n/index.tsx';
import type { FileResult } from '../reports/EvidenceFiles.tsx';

/** Labels of the appeals' codes in the current language (the raw code when unknown). */
export function useAppealLabels() {
  const { lookup } = useI18n();
  return {
    status: (s: string) => lookup(`appealStatus.${s}`) ?? s,
    subject: (k: string) => lookup(`appealSubjects.${k}`) ?? k,
    channel: (c: string) => lookup(`appealChannels.${c}`) ?? c,
    action: (a: string) => lookup(`appealActions.${a}`) ?? a,
    holder: (h: string) => lookup(`holderOnRecord.${h}`) ?? h,
    identity: (r: string) => lookup(`verificationResults.${r}`) ?? r,
    use: (r: string) => lookup(`useResults.${r}`) ?? r,
    method: (m: string) => lookup(`verificationMethods.${m}`) ?? m,
    compensation: (s: string) => lookup(`compensationStatus.${s}`) ?? s,
  };
}

/** Open appeals stand out; an upheld one is good news, a rejected one is not. */
const COLOURS: Record<AppealStatus, string> = {
  received: 'blue',
  under_review: 'cyan',
  upheld: 'green',
  rejected: 'red',
  withdrawn: 'gray',
};

export const OPEN_APPEAL: readonly string[] = ['received', 'under_review'];

/** Codes and id numbers in a fixed-width font, the field's label and hint in the page's. */
export const MONO_INPUT = { input: { fontFamily: 'var(--mantine-font-family-monospace)' } };

export function AppealStatusBadge({ status, size = 'md' }: { status: string; size?: 'md' | 'lg' | 'xl' }) {
  const labels = useAppealLabels();
  return (
    <Badge
      color={COLOURS[status as AppealStatus] ?? 'gray'}
      variant="light"
      tt="none"
      size={size}
      style={{ minWidth: 'max-content' }}
      data-testid="appeal-status"
      data-status={status}
    >
      {labels.status(status)}
    </Badge>
  );
}

/**
 * EvidenceFiles' uploadAll, to the appeal's receipt: one request per file, in order, each change
 * reported; a refused file does not stop the others.
 */
export async function uploadAppealEvidence(
  code: string,
  files: File[],
  onChange: (results: FileResult[]) => void,
): Promise<FileResult[]> {
  const results: FileResult[] = files.map((f) => ({ name: f.name, state: 'waiting' }));
  const set = (i: number, r: FileResult) => {
    results[i] = r;
    onChange([...results]);
  };
  onChange([...results]);
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    set(i, { name: file.name, state: 'sending' });
    try {
      await api.addAppealEvidence(code, file);
      set(i, { name: file.name, state: 'sent' });
    } catch (err) {
      set(i, { name: file.name, state: 'failed', error: err });
    }
  }
  return results;
}
