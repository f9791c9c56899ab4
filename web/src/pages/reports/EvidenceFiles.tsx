import { Badge, FileInput, Group, Paper, Stack, Text } from '@mantine/core';
import { api, asApiError, EVIDENCE_TYPES } from '../../api.ts';
import { errorMessage } from '../../components/ErrorAlert.tsx';
import { useI18n } from '../../i18n/index.tsx';

/** What the file picker offers: the server's media types and their extensions. */
export const EVIDENCE_ACCEPT = [
  ...Object.keys(EVIDENCE_TYPES),
  ...Object.values(EVIDENCE_TYPES).flatMap((exts) => exts.map((e) => `.${e}`)),
].join(',');

export interface FileResult {
  name: string;
  state: 'waiting' | 'sending' | 'sent' | 'failed';
  error?: unknown;
}

/**
 * Sends the files one request each, in order, reporting every change; a refused file does not
 * stop the others. Resolves with the final results.
 */
export async function uploadAll(
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
      await api.addEvidence(code, file);
      set(i, { name: file.name, state: 'sent' });
    } catch (err) {
      set(i, { name: file.name, state: 'failed', error: err });
    }
  }
  return results;
}

/** The file picker for evidence (several files). */
export function EvidencePicker({
  files,
  onChange,
  label,
  description,
  error,
}: {
  files: File[];
  onChange: (files: File[]) => void;
  label: string;
  description?: string;
  error?: string;
}) {
  const { t } = useI18n();
  return (
    <FileInput
      label={label}
      description={description}
      placeholder={t('reportForm.evidencePlaceholder')}
      multiple
      clearable
      accept={EVIDENCE_ACCEPT}
      value={files}
      onChange={onChange}
      error={error}
      size="md"
      data-testid="evidence-input"
    />
  );
}

const COLOURS: Record<FileResult['state'], string> = {
  waiting: 'gray',
  sending: 'blue',
  sent: 'green',
  failed: 'red',
};

/** Each file's outcome; a refused file with the server's reason. */
export function FileResults({ results }: { results: FileResult[] }) {
  const i18n = useI18n();
  const { t } = i18n;
  if (!results.length) return null;
  return (
    <Paper withBorder p="md" radius="md">
      <Stack gap="sm" aria-label={t('evidenceUpload.files')} role="list">
        <Text size="sm" fw={600}>
          {t('evidenceUpload.files')}
        </Text>
        {results.map((r, i) => {
          const e = r.error ? asApiError(r.error) : null;
          return (
            <Stack
              key={`${r.name}-${i}`}
              gap={2}
              role="listitem"
              data-testid="evidence-result"
              data-state={r.state}
            >
              <Group gap="xs" wrap="nowrap" justify="space-between">
                <Text size="sm" style={{ wordBreak: 'break-all' }}>
                  {r.name}
                </Text>
                <Badge color={COLOURS[r.state]} variant="light" tt="none" style={{ minWidth: 'max-content' }}>
                  {t(`evidenceUpload.${r.state}`)}
                </Badge>
              </Group>
              {e ? (
                <Text size="xs" c="red" data-testid="evidence-error">
                  {errorMessage(e, i18n)}
                  {e.detail && e.status !== 0 ? ` (${e.detail})` : ''}
                </Text>
              ) : null}
            </Stack>
          );
        })}
      </Stack>
    </Paper>
  );
}
