import {
  Alert,
  Button,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  TextInput,
  Title,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, INDICATOR_KINDS, type IndicatorKind, type ProtectedIndicator } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { RegistryTabs, useLabels } from './labels.tsx';
import { ReasonDialog } from './ReasonDialog.tsx';

/** `/registry/allowlist`: protected indicators; supervisors and administrators change them. */
export function AllowlistPage() {
  const { t, dateTime } = useI18n();
  const labels = useLabels();
  const { session } = useSession();
  const canWrite = hasRole(session, 'supervisor', 'administrator');
  const [entries, reload] = useApi(() => api.listAllowlist({ limit: 1000 }), []);

  return (
    <Stack gap="lg">
      <PageTitle title={t('registry.title')} intro={t('allowlist.intro')} />
      <RegistryTabs />
      {canWrite ? (
        <AddForm onAdded={reload} />
      ) : (
        <Alert color="gray" variant="light">
          {t('allowlist.readOnly')}
        </Alert>
      )}
      <Loadable state={entries} onRetry={reload}>
        {(data) => (
          <DataTable<ProtectedIndicator>
            label={t('allowlist.title')}
            rows={data.items}
            minWidth={800}
            columns={[
              { header: t('allowlist.kind'), cell: (p) => labels.kind(p.kind) },
              {
                header: t('allowlist.value'),
                cell: (p) => <span style={{ wordBreak: 'break-all' }}>{p.value}</span>,
              },
              { header: t('allowlist.label'), cell: (p) => p.label },
              { header: t('allowlist.reason'), cell: (p) => p.reason ?? t('common.none') },
              { header: t('allowlist.addedBy'), cell: (p) => p.addedBy },
              { header: t('allowlist.createdAt'), cell: (p) => dateTime(p.createdAt) },
              ...(canWrite
                ? [
                    {
                      header: t('allowlist.actions'),
                      cell: (p: ProtectedIndicator) => (
                        <ReasonDialog
                          button={t('allowlist.remove')}
                          title={t('allowlist.removeTitle')}
                          body={t('allowlist.removeBody', { value: p.value })}
                          confirm={t('allowlist.removeConfirm')}
                          action={(reason) => api.removeFromAllowlist(p.id, reason)}
                          onDone={reload}
                        />
                      ),
                    },
                  ]
                : []),
            ]}
          />
        )}
      </Loadable>
    </Stack>
  );
}

function AddForm({ onAdded }: { onAdded: () => void }) {
  const { t } = useI18n();
  const labels = useLabels();
  const [kind, setKind] = useState<IndicatorKind>('phone');
  const [value, setValue] = useState('');
  const [label, setLabel] = useState('');
  const [reason, setReason] = useState('');
  const [invalid, setInvalid] = useState<'valueRequired' | 'labelRequired' | 'reasonRequired' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [delisted, setDelisted] = useState<number | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setDelisted(null);
    const problem = !value.trim()
      ? 'valueRequired'
      : !label.trim()
        ? 'labelRequired'
        : !reason.trim()
          ? 'reasonRequired'
          : null;
    setInvalid(problem);
    if (problem) return;
    setBusy(true);
    try {
      const r = await api.addToAllowlist({
        kind,
        value: value.trim(),
        label: label.trim(),
        reason: reason.trim(),
      });
      setDelisted(r.delisted);
      setValue('');
      setLabel('');
      setReason('');
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="md" radius="md" component="form" onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Title order={3} size="h4">
          {t('allowlist.addTitle')}
        </Title>
        {error ? <ErrorAlert error={error} /> : null}
        {delisted !== null ? (
          <Alert color="green" variant="light">
            {t('allowlist.added', { count: delisted })}
          </Alert>
        ) : null}
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          <NativeSelect
            label={t('allowlist.kind')}
            value={kind}
            onChange={(e) => setKind(e.currentTarget.value as IndicatorKind)}
            data={INDICATOR_KINDS.map((k) => ({ value: k, label: labels.kind(k) }))}
          />
          <TextInput
            label={t('allowlist.value')}
            value={value}
            onChange={(e) => setValue(e.currentTarget.value)}
            error={invalid === 'valueRequired' ? t('allowlist.valueRequired') : undefined}
          />
          <TextInput
            label={t('allowlist.label')}
            placeholder={t('allowlist.labelPlaceholder')}
            value={label}
            onChange={(e) => setLabel(e.currentTarget.value)}
            error={invalid === 'labelRequired' ? t('allowlist.labelRequired') : undefined}
          />
          <TextInput
            label={t('allowlist.reason')}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            error={invalid === 'reasonRequired' ? t('allowlist.reasonRequired') : undefined}
          />
        </SimpleGrid>
        <Group>
          <Button type="submit" loading={busy}>
            {t('allowlist.add')}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
