import { TextInput } from '@mantine/core';
import { useState } from 'react';
import { api } from '../../api.ts';
import { useT } from '../../i18n/index.tsx';
import { PersonData } from './PersonData.tsx';
import { PurposeForm } from './PurposeForm.tsx';

/** Operators and banks: one of their own customers, by ID number (sent in the body, not the URL). */
export function PersonLookup() {
  const t = useT();
  const [idNumber, setIdNumber] = useState('');
  const [missing, setMissing] = useState(false);
  const [query, setQuery] = useState<{ idNumber: string; purpose: string } | null>(null);

  if (query) {
    return (
      <PersonData
        load={() => api.lookupPerson(query.idNumber, query.purpose)}
        loadKey={`${query.idNumber}|${query.purpose}`}
        purpose={query.purpose}
        onChangePurpose={() => setQuery(null)}
        changeLabel={t('persons.lookupAgain')}
      />
    );
  }
  return (
    <PurposeForm
      title={t('persons.lookupTitle')}
      validate={() => {
        setMissing(!idNumber.trim());
        return Boolean(idNumber.trim());
      }}
      onSubmit={(purpose) => setQuery({ idNumber: idNumber.trim(), purpose })}
    >
      <TextInput
        label={t('persons.idNumber')}
        placeholder={t('persons.idNumberPlaceholder')}
        value={idNumber}
        onChange={(e) => setIdNumber(e.currentTarget.value)}
        error={missing ? t('persons.idNumberRequired') : undefined}
        autoComplete="off"
        spellCheck={false}
        withAsterisk
      />
    </PurposeForm>
  );
}
