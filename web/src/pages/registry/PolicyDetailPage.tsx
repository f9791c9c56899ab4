import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Loader,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useEffect, useState } from 'react';
import { api, type PolicyChange, type PolicyRule, type PolicyVersion, type ShadowReport } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { percent, useLabels } from './labels.tsx';
import { mayChangePolicy, PolicyStateBadge, usePolicyLabels } from './policyLabels.tsx';
import { PolicyRuleEditor } from './PolicyRuleEditor.tsx';
import { ReasonDialog } from './ReasonDialog.tsx';
import { Field } from '../../components/Field.tsx';

/**
 * `/registry/policies/:id`: every version of one policy with its rules; a new version as a draft,
 * its replay on recent traffic, shadow, live shadow report, activation and retirement for those who
 * may change the policy (the server decides on every call).
 */
export function PolicyDetailPage({ id }: { id: string }) {
  const { t } = useI18n();
  const [versions, reload] = useApi(() => api.listPolicies({ id }), [id]);
  return (
    <Stack gap="md">
      <Anchor {...linkProps('/registry/policies')} size="sm">
        ← {t('policies.back')}
      </Anchor>
      <Loadable state={versions} onRetry={reload}>
        {(data) =>
          data.items.length ? (
            <Detail versions={[...data.items].sort((a, b) => b.version - a.version)} onChanged={reload} />
          ) : (
            <Alert color="gray" variant="light">
              {t('policies.notFound', { id })}
            </Alert>
          )
        }
      </Loadable>
    </Stack>
  );
}

const ACTION_COLOURS: Record<string, string> = {
  allow: 'green',
  warn: 'yellow',
  review: 'orange',
  block: 'red',
};

function ActionBadge({ action }: { action: string }) {
  const labels = usePolicyLabels();
  return (
    <Badge
      color={ACTION_COLOURS[action] ?? 'gray'}
      variant="light"
      tt="none"
      style={{ minWidth: 'max-content' }}
    >
      {labels.action(action)}
    </Badge>
  );
}

function Detail({ versions, onChanged }: { versions: PolicyVersion[]; onChanged: () => void }) {
  const { t } = useI18n();
  const labels = usePolicyLabels();
  const { session } = useSession();
  const newest = versions[0]!;
  const active = versions.find((v) => v.state === 'active');
  const canChange = mayChangePolicy(session, newest.institutionId);
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<number | null>(null);
  /** The latest replay of each version, for the activation's confirmation. */
  const [replays, setReplays] = useState<Record<number, ShadowReport>>({});
  const remember = (version: number, r: ShadowReport) => setReplays((m) => ({ ...m, [version]: r }));

  return (
    <Stack gap="lg">
      <PageTitle title={t('policies.detailTitle')}>
        <Group gap="sm" wrap="wrap">
          <Title order={3} size="h4" style={{ wordBreak: 'break-all' }}>
            {newest.id}
          </Title>
          <Badge variant="outline" tt="none">
            {labels.channel(newest.channel)}
          </Badge>
          <Badge variant="outline" color="gray" tt="none">
            {labels.scope(newest.institutionId)}
          </Badge>
          {canChange && !editing ? (
            <Button
              size="compact-sm"
              variant="light"
              onClick={() => {
                setSaved(null);
                setEditing(true);
              }}
            >
              {t('policies.newVersion')}
            </Button>
          ) : null}
        </Group>
      </PageTitle>
      {canChange ? null : (
        <Alert color="gray" variant="light">
          {t('policies.readOnly')}
        </Alert>
      )}
      {editing ? (
        <PolicyRuleEditor
          base={active ?? newest}
          onCancel={() => setEditing(false)}
          onSaved={(v) => {
            setEditing(false);
            setSaved(v.version);
            onChanged();
          }}
        />
      ) : null}
      {saved !== null ? (
        <Alert color="green" variant="light" data-testid="policy-saved">
          {t('policies.saved', { version: saved })}
        </Alert>
      ) : null}
      {versions.map((v) => (
        <VersionCard
          // a change of state starts the card afresh (its reports were of the state before)
          key={`${v.version}:${v.state}`}
          v={v}
          canChange={canChange}
          replay={replays[v.version]}
          onReplay={(r) => remember(v.version, r)}
          onChanged={() => {
            setSaved(null);
            onChanged();
          }}
        />
      ))}
    </Stack>
  );
}

/** One version: its state, rules, default actions, and what may be done with it. */
function VersionCard({
  v,
  canChange,
  replay,
  onReplay,
  onChanged,
}: {
  v: PolicyVersion;
  canChange: boolean;
  replay: ShadowReport | undefined;
  onReplay: (r: ShadowReport) => void;
  onChanged: () => void;
}) {
  const { t, dateTime } = useI18n();
  const labels = usePolicyLabels();
  const [report, setReport] = useState<{ kind: 'replay' | 'live'; data: ShadowReport } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const title = t('policies.versionShort', { version: v.version });

  async function run(what: string, fn: () => Promise<unknown>) {
    setError(null);
    setBusy(what);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }
  const replayNow = () =>
    run('replay', async () => {
      const r = await api.replayPolicy(v.id, v.version);
      onReplay(r);
      setReport({ kind: 'replay', data: r });
    });
  const live = () =>
    run('live', async () => {
      setReport({ kind: 'live', data: await api.policyShadowReport(v.id, v.version) });
    });
  const change = (what: PolicyChange) =>
    run(what, async () => {
      await api.changePolicyState(v.id, v.version, what);
      setReport(null);
      onChanged();
    });

  const open = v.state === 'draft' || v.state === 'shadow';
  return (
    <Paper
      withBorder
      p="md"
      radius="md"
      component="section"
      aria-label={title}
      data-testid={`policy-version-${v.version}`}
      style={
        v.state === 'active' ? { borderColor: 'var(--mantine-color-green-6)', borderWidth: 2 } : undefined
      }
    >
      <Stack gap="sm">
        <Group gap="sm" wrap="wrap">
          <Title order={3} size="h4">
            {title}
          </Title>
          <PolicyStateBadge state={v.state} />
        </Group>
        <Text size="xs" c="dimmed">
          {t('policies.createdBy', { name: v.createdBy, at: dateTime(v.createdAt) })}
          {v.state !== 'draft' || v.stateChangedAt !== v.createdAt
            ? ` · ${t('policies.stateChanged', {
                state: labels.state(v.state),
                name: v.stateChangedBy,
                at: dateTime(v.stateChangedAt),
              })}`
            : ''}
        </Text>
        {v.description ? <Text size="sm">{v.description}</Text> : null}
        <RulesTable rules={v.rules} label={t('policies.rulesOf', { version: v.version })} />
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          <Field label={t('policies.defaultAction')}>
            <ActionBadge action={v.default} />
          </Field>
          <Field label={t('policies.onMalformed')}>
            {v.onMalformed ? <ActionBadge action={v.onMalformed} /> : t('policies.onMalformedUnset')}
          </Field>
        </SimpleGrid>
        {error ? <ErrorAlert error={error} /> : null}
        <Group gap="xs" wrap="wrap">
          {v.state !== 'retired' ? (
            <Button
              size="compact-sm"
              variant="light"
              loading={busy === 'replay'}
              onClick={() => void replayNow()}
            >
              {t('policies.replay')}
            </Button>
          ) : null}
          {v.state === 'shadow' ? (
            <Button size="compact-sm" variant="light" loading={busy === 'live'} onClick={() => void live()}>
              {t('policies.liveReport')}
            </Button>
          ) : null}
          {canChange && v.state === 'draft' ? (
            <Button
              size="compact-sm"
              variant="light"
              color="violet"
              loading={busy === 'shadow'}
              onClick={() => void change('shadow')}
            >
              {t('policies.shadow')}
            </Button>
          ) : null}
          {canChange && v.state === 'shadow' ? (
            <Button
              size="compact-sm"
              variant="light"
              color="gray"
              loading={busy === 'unshadow'}
              onClick={() => void change('unshadow')}
            >
              {t('policies.unshadow')}
            </Button>
          ) : null}
          {canChange && open ? (
            <ReasonDialog
              button={t('policies.activate')}
              title={t('policies.activateTitle', { version: v.version })}
              body={t('policies.activateBody', {
                version: v.version,
                channel: labels.channel(v.channel),
                scope: labels.scope(v.institutionId),
              })}
              confirm={t('policies.activateConfirm')}
              color="green"
              action={(reason) => api.changePolicyState(v.id, v.version, 'activate', reason)}
              onDone={onChanged}
            >
              <ReplayImpact v={v} known={replay} onReplay={onReplay} />
            </ReasonDialog>
          ) : null}
          {canChange && v.state !== 'retired' ? (
            <ReasonDialog
              button={t('policies.retire')}
              title={t('policies.retireTitle', { version: v.version })}
              body={t(v.state === 'active' ? 'policies.retireActiveBody' : 'policies.retireBody')}
              confirm={t('policies.retireConfirm')}
              action={(reason) => api.changePolicyState(v.id, v.version, 'retire', reason)}
              onDone={onChanged}
            />
          ) : null}
        </Group>
        {report ? (
          <ReportView
            report={report.data}
            title={
              report.kind === 'replay'
                ? t('policies.replayTitle', { version: v.version })
                : t('policies.liveTitle', { version: v.version })
            }
            testId={report.kind === 'replay' ? 'replay-report' : 'shadow-report'}
          />
        ) : null}
      </Stack>
    </Paper>
  );
}

/** A version's rules, top-down, as a table: conditions → action. */
function RulesTable({ rules, label }: { rules: PolicyRule[]; label: string }) {
  const { t } = useI18n();
  const labels = useLabels();
  const all = t('policies.all');
  return (
    <DataTable<PolicyRule & { id: string; n: number }>
      label={label}
      rows={rules.map((r, i) => ({ ...r, id: String(i), n: i + 1 }))}
      empty={t('policies.noRules')}
      minWidth={640}
      columns={[
        { header: '#', cell: (r) => r.n },
        {
          header: t('policies.categories'),
          cell: (r) => (r.categories ? r.categories.map(labels.category).join(', ') : all),
        },
        { header: t('policies.kinds'), cell: (r) => (r.kinds ? r.kinds.map(labels.kind).join(', ') : all) },
        {
          header: t('policies.partyRoles'),
          cell: (r) => (r.partyRoles ? r.partyRoles.join(', ') : all),
        },
        {
          header: t('policies.minConfidence'),
          cell: (r) => (r.minConfidence !== undefined ? `≥ ${percent(r.minConfidence)}` : all),
        },
        { header: t('policies.action'), cell: (r) => <ActionBadge action={r.action} /> },
        { header: t('policies.reasonCode'), cell: (r) => r.reason ?? 'listed' },
      ]}
    />
  );
}

/** Totals and the table of changes (from → to) of a replay or a live shadow report. */
function ReportView({ report, title, testId }: { report: ShadowReport; title: string; testId: string }) {
  const { t } = useI18n();
  const labels = usePolicyLabels();
  return (
    <Paper withBorder p="sm" radius="sm" data-testid={testId} aria-label={title} component="section">
      <Stack gap="xs">
        <Text fw={600} size="sm">
          {title}
        </Text>
        <SimpleGrid cols={{ base: 3 }} spacing="sm">
          <Field label={t('policies.total')}>
            <span data-testid="report-total">{report.total}</span>
          </Field>
          <Field label={t('policies.changed')}>
            <span data-testid="report-changed">{report.changed}</span>
          </Field>
          <Field label={t('policies.changedShare')}>
            <span data-testid="report-share">{percent(report.changedShare)}</span>
          </Field>
        </SimpleGrid>
        <DataTable
          label={t('policies.transitionsOf', { title })}
          rows={report.transitions.map((x) => ({ ...x, id: `${x.from}>${x.to}` }))}
          empty={t('policies.noTransitions')}
          minWidth={320}
          columns={[
            { header: t('policies.from'), cell: (x) => labels.action(x.from) },
            { header: t('policies.to'), cell: (x) => labels.action(x.to) },
            { header: t('policies.count'), cell: (x) => x.count },
          ]}
        />
      </Stack>
    </Paper>
  );
}

/** In the activation's dialog: how many recent decisions the version would change (replayed now if not yet). */
function ReplayImpact({
  v,
  known,
  onReplay,
}: {
  v: PolicyVersion;
  known: ShadowReport | undefined;
  onReplay: (r: ShadowReport) => void;
}) {
  const { t } = useI18n();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (known) return;
    let live = true;
    api.replayPolicy(v.id, v.version).then(
      (r) => live && onReplay(r),
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
    // once per opening of the dialog (the dialog mounts this only while open)
  }, []);
  if (error) return <ErrorAlert error={error} />;
  if (!known) return <Loader size="xs" aria-label={t('common.loading')} />;
  return (
    <Alert color={known.changed ? 'yellow' : 'gray'} variant="light" data-testid="activate-impact">
      {known.total
        ? t('policies.activateImpact', {
            changed: known.changed,
            total: known.total,
            share: percent(known.changedShare),
          })
        : t('policies.activateNoTraffic')}
    </Alert>
  );
}
