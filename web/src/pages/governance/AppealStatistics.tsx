import { Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { api, type AppealStatistics as Stats } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useApi } from '../../useApi.ts';

const pct = (share: number | null) => (share === null ? '—' : `${Math.round(share * 1000) / 10}%`);
const num = (v: number | null, unit: string) => (v === null ? '—' : `${v} ${unit}`);

/**
 * The appeals of the last 90 days in figures, for the centre: how many, how they ended, how fast
 * decisions and restorations were, and how often measures from each detector were later lifted
 * (the quality signal the issue asks to feed back to detectors and listings).
 */
export function AppealStatistics() {
  const { t, lookup } = useI18n();
  const [state, reload] = useApi(() => api.appealStatistics(), []);
  return (
    <Paper withBorder p="md" radius="md" data-testid="appeal-statistics">
      <Stack gap="sm">
        <Title order={3} size="h5">
          {t('appealStats.title')}
        </Title>
        <Loadable state={state} onRetry={reload}>
          {(s: Stats) => (
            <Stack gap="sm">
              <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
                <Figure label={t('appealStats.received')} value={String(s.received)} />
                <Figure
                  label={t('appealStats.open')}
                  value={`${s.open} (${s.overdue} ${t('appealStats.overdue')})`}
                />
                <Figure label={t('appealStats.upheld')} value={String(s.upheld)} />
                <Figure label={t('appealStats.rejected')} value={String(s.rejected)} />
                <Figure label={t('appealStats.toDecision')} value={num(s.hoursToDecision.median, 'h')} />
                <Figure
                  label={t('appealStats.toRestoration')}
                  value={`${num(s.minutesToRestoration.median, 'min')}${s.minutesToRestoration.pending ? ` (${s.minutesToRestoration.pending} ${t('appealStats.pending')})` : ''}`}
                />
                <Figure
                  label={t('appealStats.lifted')}
                  value={`${s.lifted.lifted} / ${s.lifted.instructions} (${pct(s.lifted.share)})`}
                />
                <Figure
                  label={t('appealStats.compensation')}
                  value={`${s.compensation.granted} / ${s.compensation.claims} · ${s.compensation.amountGranted}`}
                />
              </SimpleGrid>
              {s.byDetector.length ? (
                <DataTable
                  label={t('appealStats.byDetector')}
                  minWidth={360}
                  rows={s.byDetector.map((d) => ({ ...d, id: d.detector }))}
                  columns={[
                    {
                      header: t('appealStats.detector'),
                      cell: (d) => lookup(`detectors.${d.detector}`) ?? d.detector,
                    },
                    { header: t('appealStats.instructions'), cell: (d) => String(d.instructions) },
                    { header: t('appealStats.liftedShare'), cell: (d) => `${d.lifted} (${pct(d.share)})` },
                  ]}
                />
              ) : null}
            </Stack>
          )}
        </Loadable>
      </Stack>
    </Paper>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600}>{value}</Text>
    </Stack>
  );
}
