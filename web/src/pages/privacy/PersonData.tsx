import { Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { BankAccount, Person, PhoneCard } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useApi } from '../../useApi.ts';
import { describePurpose } from '../../components/purpose.ts';

type Row<T> = T & { id: string };
const withIds = <T,>(rows: T[]): Row<T>[] => rows.map((r, i) => ({ ...r, id: String(i) }));

/** A person as the server allows it for this purpose; `loadKey` changes when `load` does. */
export function PersonData({
  load,
  loadKey,
  purpose,
  onChangePurpose,
  changeLabel,
}: {
  load: () => Promise<Person>;
  loadKey: string;
  purpose: string;
  onChangePurpose: () => void;
  changeLabel: string;
}) {
  const { t, lookup, date } = useI18n();
  const [person, reload] = useApi(load, [loadKey]);
  const value = (v: string) => lookup(`values.${v}`) ?? v;
  const mono = { fontFamily: 'monospace' } as const;

  return (
    <Stack gap="md">
      <Group gap="sm">
        <Text size="sm" c="dimmed">
          {t('persons.purposeShown', { purpose: describePurpose(purpose, lookup) })}
        </Text>
        <Button size="compact-xs" variant="subtle" onClick={onChangePurpose}>
          {changeLabel}
        </Button>
      </Group>
      <Loadable state={person} onRetry={reload}>
        {(p) => (
          <Stack gap="lg">
            <Card withBorder radius="md">
              <Group justify="space-between" align="flex-start">
                <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="lg">
                  <Field label={t('persons.name')} value={p.name} />
                  {p.idType ? (
                    <Field label={t('persons.idType')} value={lookup(`idTypes.${p.idType}`) ?? p.idType} />
                  ) : null}
                  <Field label={t('persons.idNumber')} value={p.idNumber} mono />
                  <Field
                    label={t('persons.birthDate')}
                    value={p.birthDate ? date(p.birthDate) : t('common.none')}
                  />
                </SimpleGrid>
                <Badge color={p.masked ? 'gray' : 'orange'} variant="light" tt="none">
                  {t(p.masked ? 'persons.masked' : 'persons.clear')}
                </Badge>
              </Group>
              {p.masked ? (
                <Text size="xs" c="dimmed" mt="sm">
                  {t('persons.maskedNote')}
                </Text>
              ) : null}
            </Card>
            <Title order={3} size="h4">
              {t('persons.phoneCards')}
            </Title>
            <DataTable<Row<PhoneCard>>
              minWidth={600}
              rows={withIds(p.phoneCards)}
              empty={t('persons.noPhoneCards')}
              columns={[
                { header: t('persons.msisdn'), cell: (c) => <span style={mono}>{c.msisdn}</span> },
                { header: t('persons.operator'), cell: (c) => c.operator },
                { header: t('persons.cardType'), cell: (c) => value(c.cardType) },
                { header: t('persons.activatedAt'), cell: (c) => date(c.activatedAt) },
                {
                  header: t('persons.status'),
                  cell: (c) =>
                    c.cancelledAt ? `${value(c.status)} · ${date(c.cancelledAt)}` : value(c.status),
                },
              ]}
            />
            <Title order={3} size="h4">
              {t('persons.bankAccounts')}
            </Title>
            <DataTable<Row<BankAccount>>
              minWidth={600}
              rows={withIds(p.bankAccounts)}
              empty={t('persons.noBankAccounts')}
              columns={[
                { header: t('persons.account'), cell: (a) => <span style={mono}>{a.account}</span> },
                { header: t('persons.institution'), cell: (a) => a.institution },
                { header: t('persons.accountType'), cell: (a) => value(a.accountType) },
                { header: t('persons.openedAt'), cell: (a) => date(a.openedAt) },
                {
                  header: t('persons.status'),
                  cell: (a) => (a.closedAt ? `${value(a.status)} · ${date(a.closedAt)}` : value(a.status)),
                },
              ]}
            />
          </Stack>
        )}
      </Loadable>
    </Stack>
  );
}

function Field({ label, value, mono }: { label: string; value: string; mono?: boolean }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={500} ff={mono ? 'monospace' : undefined}>
        {value}
      </Text>
    </div>
  );
}
