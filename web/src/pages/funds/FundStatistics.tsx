import { NativeSelect, Paper, SimpleGrid, Stack, Group, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Loadable } from '../../components/Loadable.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useApi } from '../../useApi.ts';
import { fundsApi } from './fundsApi.ts';
import { fen } from './labels.tsx';
import type { FundStatistics as Stats } from './types.ts';

const PERIODS = [7, 30, 90, 365];

/**
 * The centre's recovery in figures: what was stopped, frozen and returned over a period, how many
 * cases, and how fast the first stop-payment followed the report (the minutes that decide whether
 * the money is still there).
 */
export function FundStatistics() {
  const { t, lang } = useI18n();
  const [days, setDays] = useState(30);
  const [state, reload] = useApi(() => fundsApi.statistics(days), [days]);
  return (
    <Paper withBorder p="md" radius="md" data-testid="funds-statistics">
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Title order={3} size="h5">
            {t('funds.statsTitle')}
          </Title>
          <NativeSelect
            aria-label={t('funds.statsPeriod')}
            size="xs"
            value={String(days)}
            onChange={(e) => setDays(Number(e.currentTarget.value))}
            data={PERIODS.map((d) => ({ value: String(d), label: t('funds.lastDays', { days: d }) }))}
          />
        </Group>
        <Loadable state={state} onRetry={reload}>
          {(s: Stats) => (
            <SimpleGrid cols={{ base: 2, sm: 5 }} spacing="sm">
              <Figure label={t('funds.cases')} value={String(s.cases)} testId="funds-stat-cases" />
              <Figure label={t('funds.stopped')} value={fen(s.stopped, lang)} testId="funds-stat-stopped" />
              <Figure label={t('funds.frozen')} value={fen(s.frozen, lang)} testId="funds-stat-frozen" />
              <Figure
                label={t('funds.returned')}
                value={fen(s.returned, lang)}
                testId="funds-stat-returned"
              />
              <Figure
                label={t('funds.medianToStop')}
                value={
                  s.medianMinutesReportToFirstStop === null
                    ? t('common.none')
                    : t('funds.minutesOnly', { minutes: Math.round(s.medianMinutesReportToFirstStop) })
                }
                testId="funds-stat-median"
              />
            </SimpleGrid>
          )}
        </Loadable>
      </Stack>
    </Paper>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600} data-testid={testId}>
        {value}
      </Text>
    </Stack>
  );
}
