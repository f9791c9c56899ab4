import {
  Alert,
  Anchor,
  Button,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import {
  api,
  INDICATOR_KINDS,
  SCAM_CATEGORIES,
  type IndicatorKind,
  type ListOutcome,
  type ScamCategory,
} from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useLabels } from './labels.tsx';

/** List an indicator: 201 listed, 200 corroborated or relisted, 202 sent to review (with why). */
export function ListIndicatorForm({ onListed }: { onListed: () => void }) {
  const { t, lookup } = useI18n();
  const labels = useLabels();
  const [kind, setKind] = useState<IndicatorKind>('phone');
  const [value, setValue] = useState('');
  const [category, setCategory] = useState<ScamCategory | ''>('');
  const [evidence, setEvidence] = useState('');
  const [invalid, setInvalid] = useState<'valueRequired' | 'categoryRequired' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [outcome, setOutcome] = useState<ListOutcome | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setOutcome(null);
    const problem = !value.trim() ? 'valueRequired' : !category ? 'categoryRequired' : null;
    setInvalid(problem);
    if (problem || !category) return;
    const refs = evidence
      .split('\n')
      .map((x) => x.trim())
      .filter(Boolean);
    setBusy(true);
    try {
      const r = await api.listIndicator({
        kind,
        value: value.trim(),
        category,
        ...(refs.length ? { evidence: refs } : {}),
      });
      setOutcome(r);
      setValue('');
      setEvidence('');
      onListed();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const outcomeText = (o: ListOutcome) =>
    o.outcome === 'listed'
      ? t('registry.outcomeListed')
      : o.outcome === 'corroborated'
        ? t('registry.outcomeCorroborated')
        : o.outcome === 'relisted'
          ? t('registry.outcomeRelisted')
          : t('registry.outcomeReview', {
              reason: (o.reason && lookup(`reviewReasons.${o.reason}`)) ?? o.reason ?? '',
            });

  return (
    <Paper withBorder p="md" radius="md" component="form" onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Title order={3} size="h4">
          {t('registry.listTitle')}
        </Title>
        {error ? <ErrorAlert error={error} /> : null}
        {outcome ? (
          <Alert
            color={outcome.outcome === 'review' ? 'orange' : 'green'}
            variant="light"
            data-testid="list-outcome"
          >
            <Group gap="sm">
              <span>{outcomeText(outcome)}</span>
              {outcome.listing ? (
                <Anchor {...linkProps(`/registry/listings/${outcome.listing.id}`)} size="sm">
                  {t('registry.openListing')}
                </Anchor>
              ) : null}
            </Group>
          </Alert>
        ) : null}
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          <NativeSelect
            label={t('registry.kind')}
            value={kind}
            onChange={(e) => setKind(e.currentTarget.value as IndicatorKind)}
            data={INDICATOR_KINDS.map((k) => ({ value: k, label: labels.kind(k) }))}
          />
          <TextInput
            label={t('registry.value')}
            value={value}
            onChange={(e) => setValue(e.currentTarget.value)}
            error={invalid === 'valueRequired' ? t('registry.valueRequired') : undefined}
          />
          <NativeSelect
            label={t('registry.category')}
            value={category}
            onChange={(e) => setCategory(e.currentTarget.value as ScamCategory | '')}
            error={invalid === 'categoryRequired' ? t('registry.categoryRequired') : undefined}
            data={[
              { value: '', label: t('common.none') },
              ...SCAM_CATEGORIES.map((c) => ({ value: c, label: labels.category(c) })),
            ]}
          />
        </SimpleGrid>
        <Textarea
          label={t('registry.evidenceLabel')}
          placeholder={t('registry.evidencePlaceholder')}
          value={evidence}
          onChange={(e) => setEvidence(e.currentTarget.value)}
          autosize
          minRows={2}
        />
        <Group>
          <Button type="submit" loading={busy}>
            {t('registry.listSubmit')}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
