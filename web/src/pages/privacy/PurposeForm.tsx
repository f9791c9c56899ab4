import { Button, Group, NativeSelect, Paper, Stack, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent, type ReactNode } from 'react';
import { formatPurpose, PURPOSE_REFERENCE_RE, PURPOSES, type PurposeKind } from '../../api.ts';
import { useI18n } from '../../i18n/index.tsx';

/**
 * Asks why personal data is needed before it is requested: a purpose and the case, appeal…
 * it is for. The server logs both and decides by the purpose whether values are shown in clear.
 * `children` come first in the form (e.g. the ID number to look up); `validate` checks them.
 */
export function PurposeForm({
  title,
  children,
  validate,
  onSubmit,
}: {
  title: string;
  children?: ReactNode;
  validate?: () => boolean;
  onSubmit: (purpose: string) => void;
}) {
  const { t, lookup } = useI18n();
  const [kind, setKind] = useState<PurposeKind>('case');
  const [reference, setReference] = useState('');
  const [invalid, setInvalid] = useState<'referenceRequired' | 'referenceInvalid' | null>(null);
  const refRequired = PURPOSES.find((p) => p.kind === kind)?.ref === 'required';

  function submit(e: FormEvent) {
    e.preventDefault();
    const ref = reference.trim();
    const problem =
      refRequired && !ref
        ? 'referenceRequired'
        : ref && !PURPOSE_REFERENCE_RE.test(ref)
          ? 'referenceInvalid'
          : null;
    setInvalid(problem);
    const othersValid = validate ? validate() : true;
    if (!problem && othersValid) onSubmit(formatPurpose(kind, ref));
  }

  return (
    <Paper withBorder p="md" radius="md" component="form" onSubmit={submit} noValidate maw={560}>
      <Stack gap="sm">
        <Title order={3} size="h5">
          {title}
        </Title>
        {children}
        <NativeSelect
          label={t('persons.purposeLabel')}
          description={t('persons.purposeDescription')}
          value={kind}
          onChange={(e) => setKind(e.currentTarget.value as PurposeKind)}
          data={PURPOSES.map((p) => ({ value: p.kind, label: lookup(`purposes.${p.kind}`) ?? p.kind }))}
        />
        <TextInput
          label={t('persons.referenceLabel')}
          description={t('persons.referenceDescription')}
          placeholder={t('persons.referencePlaceholder')}
          withAsterisk={refRequired}
          value={reference}
          onChange={(e) => setReference(e.currentTarget.value)}
          error={invalid ? t(`persons.${invalid}`) : undefined}
          maxLength={128}
          autoCapitalize="none"
          spellCheck={false}
        />
        <Group>
          <Button type="submit">{t('persons.show')}</Button>
        </Group>
      </Stack>
    </Paper>
  );
}
