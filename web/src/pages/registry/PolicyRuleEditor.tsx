import {
  Button,
  Group,
  MultiSelect,
  NativeSelect,
  NumberInput,
  Paper,
  SimpleGrid,
  Stack,
  TagsInput,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import {
  ACTIONS,
  api,
  INDICATOR_KINDS,
  PARTY_ROLES,
  SCAM_CATEGORIES,
  type Action,
  type IndicatorKind,
  type PolicyRule,
  type PolicyVersion,
  type ScamCategory,
} from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useLabels } from './labels.tsx';
import { usePolicyLabels } from './policyLabels.tsx';

/** A rule as edited: lists empty for "all", the confidence in percent ('' for none). */
interface DraftRule {
  key: number;
  categories: string[];
  kinds: string[];
  partyRoles: string[];
  minConfidence: number | string;
  action: Action;
  reason: string;
}

let nextKey = 1;

function toDraft(r: PolicyRule): DraftRule {
  return {
    key: nextKey++,
    categories: r.categories ?? [],
    kinds: r.kinds ?? [],
    partyRoles: r.partyRoles ?? [],
    minConfidence: r.minConfidence === undefined ? '' : Math.round(r.minConfidence * 10_000) / 100,
    action: r.action,
    reason: r.reason ?? '',
  };
}

/** The rule as the server takes it: conditions left empty are left out (they cover everything). */
function fromDraft(d: DraftRule): PolicyRule {
  const pct = d.minConfidence === '' ? NaN : Number(d.minConfidence);
  return {
    ...(d.categories.length ? { categories: d.categories as ScamCategory[] } : {}),
    ...(Number.isFinite(pct) ? { minConfidence: Math.round(pct * 100) / 10_000 } : {}),
    ...(d.kinds.length ? { kinds: d.kinds as IndicatorKind[] } : {}),
    ...(d.partyRoles.length ? { partyRoles: d.partyRoles } : {}),
    action: d.action,
    ...(d.reason.trim() ? { reason: d.reason.trim() } : {}),
  };
}

/**
 * A new version of a policy, starting from `base`'s rules: add, remove and reorder rules, pick
 * their conditions and action, the default and the action for unreadable parties. The server
 * validates it; its refusal is shown as it says it.
 */
export function PolicyRuleEditor({
  base,
  onCancel,
  onSaved,
}: {
  base: PolicyVersion;
  onCancel: () => void;
  onSaved: (v: PolicyVersion) => void;
}) {
  const { t } = useI18n();
  const labels = useLabels();
  const policyLabels = usePolicyLabels();
  const [rules, setRules] = useState<DraftRule[]>(() => base.rules.map(toDraft));
  const [fallback, setFallback] = useState<Action>(base.default);
  const [onMalformed, setOnMalformed] = useState<Action | ''>(base.onMalformed ?? '');
  const [description, setDescription] = useState(base.description ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const actions = ACTIONS.map((a) => ({ value: a, label: policyLabels.action(a) }));
  const update = (key: number, change: Partial<DraftRule>) =>
    setRules((rs) => rs.map((r) => (r.key === key ? { ...r, ...change } : r)));
  const move = (i: number, by: -1 | 1) =>
    setRules((rs) => {
      const out = [...rs];
      const [r] = out.splice(i, 1);
      out.splice(i + by, 0, r!);
      return out;
    });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const v = await api.createPolicyVersion({
        id: base.id,
        channel: base.channel,
        institutionId: base.institutionId,
        rules: rules.map(fromDraft),
        default: fallback,
        ...(onMalformed ? { onMalformed } : {}),
        ...(description.trim() ? { description: description.trim() } : {}),
      });
      onSaved(v);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper
      withBorder
      p="md"
      radius="md"
      component="form"
      onSubmit={submit}
      noValidate
      aria-label={t('policies.editorTitle', { id: base.id })}
    >
      <Stack gap="sm">
        <Title order={3} size="h4">
          {t('policies.editorTitle', { id: base.id })}
        </Title>
        <Text size="sm" c="dimmed">
          {t('policies.editorIntro')}
        </Text>
        {rules.map((r, i) => {
          const n = i + 1;
          return (
            <Paper
              key={r.key}
              withBorder
              p="sm"
              radius="sm"
              role="group"
              aria-label={t('policies.rule', { n })}
            >
              <Stack gap="xs">
                <Group justify="space-between" wrap="nowrap">
                  <Text fw={600} size="sm">
                    {t('policies.rule', { n })}
                  </Text>
                  <Group gap={4} wrap="nowrap">
                    <Button
                      size="compact-sm"
                      variant="subtle"
                      aria-label={t('policies.moveUp', { n })}
                      disabled={i === 0}
                      onClick={() => move(i, -1)}
                    >
                      ↑
                    </Button>
                    <Button
                      size="compact-sm"
                      variant="subtle"
                      aria-label={t('policies.moveDown', { n })}
                      disabled={i === rules.length - 1}
                      onClick={() => move(i, 1)}
                    >
                      ↓
                    </Button>
                    <Button
                      size="compact-sm"
                      variant="subtle"
                      color="red"
                      aria-label={t('policies.removeRule', { n })}
                      onClick={() => setRules((rs) => rs.filter((x) => x.key !== r.key))}
                    >
                      ✕
                    </Button>
                  </Group>
                </Group>
                <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                  <MultiSelect
                    label={t('policies.categories')}
                    placeholder={r.categories.length ? undefined : t('policies.anyCategory')}
                    data={SCAM_CATEGORIES.map((c) => ({ value: c, label: labels.category(c) }))}
                    value={r.categories}
                    onChange={(v) => update(r.key, { categories: v })}
                    searchable
                    clearable
                  />
                  <MultiSelect
                    label={t('policies.kinds')}
                    placeholder={r.kinds.length ? undefined : t('policies.anyKind')}
                    data={INDICATOR_KINDS.map((k) => ({ value: k, label: labels.kind(k) }))}
                    value={r.kinds}
                    onChange={(v) => update(r.key, { kinds: v })}
                    clearable
                  />
                  <TagsInput
                    label={t('policies.partyRoles')}
                    placeholder={r.partyRoles.length ? undefined : t('policies.anyRole')}
                    data={[...PARTY_ROLES]}
                    value={r.partyRoles}
                    onChange={(v) => update(r.key, { partyRoles: v })}
                    clearable
                  />
                  <NumberInput
                    label={t('policies.minConfidencePct')}
                    placeholder={t('policies.noMinimum')}
                    min={0}
                    max={100}
                    step={5}
                    decimalScale={2}
                    clampBehavior="strict"
                    value={r.minConfidence}
                    onChange={(v) => update(r.key, { minConfidence: v })}
                  />
                  <NativeSelect
                    label={t('policies.action')}
                    data={actions}
                    value={r.action}
                    onChange={(e) => update(r.key, { action: e.currentTarget.value as Action })}
                  />
                  <TextInput
                    label={t('policies.reasonCode')}
                    placeholder={t('policies.reasonPlaceholder')}
                    value={r.reason}
                    onChange={(e) => update(r.key, { reason: e.currentTarget.value })}
                  />
                </SimpleGrid>
              </Stack>
            </Paper>
          );
        })}
        {rules.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('policies.noRules')}
          </Text>
        ) : null}
        <Group>
          <Button
            variant="light"
            onClick={() =>
              setRules((rs) => [
                ...rs,
                {
                  key: nextKey++,
                  categories: [],
                  kinds: [],
                  partyRoles: [],
                  minConfidence: '',
                  action: 'warn',
                  reason: '',
                },
              ])
            }
          >
            {t('policies.addRule')}
          </Button>
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          <NativeSelect
            label={t('policies.defaultAction')}
            data={actions}
            value={fallback}
            onChange={(e) => setFallback(e.currentTarget.value as Action)}
          />
          <NativeSelect
            label={t('policies.onMalformed')}
            data={[{ value: '', label: t('policies.onMalformedUnset') }, ...actions]}
            value={onMalformed}
            onChange={(e) => setOnMalformed(e.currentTarget.value as Action | '')}
          />
        </SimpleGrid>
        <Textarea
          label={t('policies.description')}
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
          autosize
          minRows={1}
        />
        {error ? <ErrorAlert error={error} /> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={busy}>
            {t('policies.save')}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
