import { Anchor, Badge, Button, Group, Stack, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, type PersonSummary } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useApi } from '../../useApi.ts';

/** Persons as the server returns them: always masked; a search term goes in the body, not the URL. */
export function PersonList() {
  const { t, dateTime } = useI18n();
  const [input, setInput] = useState('');
  const [q, setQ] = useState('');
  const [persons, reload] = useApi(
    () => (q ? api.searchPersons({ q, limit: 100 }) : api.listPersons({ limit: 100 })),
    [q],
  );

  function search(e: FormEvent) {
    e.preventDefault();
    setQ(input.trim());
  }

  return (
    <Stack gap="md">
      <form onSubmit={search}>
        <Group gap="xs" align="flex-end" wrap="nowrap">
          <TextInput
            aria-label={t('common.search')}
            placeholder={t('persons.searchPlaceholder')}
            value={input}
            onChange={(e) => setInput(e.currentTarget.value)}
            autoComplete="off"
            spellCheck={false}
            style={{ flex: 1, maxWidth: 480 }}
          />
          <Button type="submit" variant="light">
            {t('common.search')}
          </Button>
        </Group>
      </form>
      <Loadable state={persons} onRetry={reload}>
        {(data) => (
          <DataTable<PersonSummary>
            label={t('persons.title')}
            minWidth={720}
            rows={data.items}
            columns={[
              {
                header: t('persons.name'),
                cell: (p) => (
                  <>
                    {p.name}
                    {p.numberHolder && (
                      <Badge
                        ml="xs"
                        size="sm"
                        variant="light"
                        color={p.numberHolder === 'present' ? 'blue' : 'gray'}
                      >
                        {t(p.numberHolder === 'present' ? 'persons.holdsNumber' : 'persons.heldNumber')}
                      </Badge>
                    )}
                  </>
                ),
              },
              {
                header: t('persons.idNumber'),
                cell: (p) => <span style={{ fontFamily: 'monospace' }}>{p.idNumber}</span>,
              },
              { header: t('persons.phoneCards'), cell: (p) => p.phoneCardCount },
              { header: t('persons.bankAccounts'), cell: (p) => p.bankAccountCount },
              { header: t('persons.createdAt'), cell: (p) => dateTime(p.createdAt) },
              {
                header: t('persons.actions'),
                cell: (p) => (
                  <Anchor {...linkProps(`/privacy/persons/${encodeURIComponent(p.id)}`)} size="sm">
                    {t('persons.view')}
                  </Anchor>
                ),
              },
            ]}
          />
        )}
      </Loadable>
    </Stack>
  );
}
