import {
  Alert,
  Anchor,
  Badge,
  Code,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  Title,
  Tooltip,
} from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { api, SCAM_CATEGORIES, type ReportDetail, type ScamCategory } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { percent, StatusBadge } from '../registry/labels.tsx';
import { ReasonDialog } from '../registry/ReasonDialog.tsx';
import {
  CandidateBadge,
  fileSize,
  money,
  ReportStatusBadge,
  UrgencyBadges,
  useReportLabels,
} from './reportLabels.tsx';
import { Field } from '../../components/Field.tsx';
import { OpenCaseForm } from '../funds/OpenCaseForm.tsx';

/** `/reports/:id`: one report with its indicators, the classifier, evidence and related reports; the decision. */
export function ReportDetailPage({ id }: { id: string }) {
  const { t } = useI18n();
  const [report, reload] = useApi(() => api.getReport(id), [id]);
  return (
    <Stack gap="md">
      <Anchor {...linkProps('/reports')} size="sm">
        ← {t('reports.back')}
      </Anchor>
      <Loadable state={report} onRetry={reload}>
        {(r) => <Detail report={r} onDecided={reload} />}
      </Loadable>
    </Stack>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        {title}
      </Title>
      {children}
    </Stack>
  );
}

/** The reported subject as label: value lines. */
function Subject({ report: r }: { report: ReportDetail }) {
  const { t, lookup } = useI18n();
  const s = r.subject ?? {};
  const join = (...parts: (string | undefined)[]) => parts.filter(Boolean).join(' · ');
  const lines: [string, string][] = [];
  if (s.phone) lines.push([lookup('kinds.phone') ?? 'phone', s.phone]);
  if (s.url) lines.push([lookup('kinds.url') ?? 'url', s.url]);
  if (s.app) lines.push([lookup('kinds.app') ?? 'app', join(s.app.name, s.app.package, s.app.source)]);
  if (s.account)
    lines.push([
      lookup('reportKinds.account') ?? 'account',
      join(s.account.value, s.account.institution, s.account.provider),
    ]);
  if (s.internetAccount)
    lines.push([
      lookup('kinds.internet_account') ?? 'internet account',
      `${s.internetAccount.platform}: ${s.internetAccount.id}`,
    ]);
  if (!lines.length)
    return (
      <Text size="sm" c="dimmed">
        {t('reports.noSubject')}
      </Text>
    );
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm" data-testid="report-subject">
      {lines.map(([label, value]) => (
        <Field key={label} label={label}>
          {value}
        </Field>
      ))}
    </SimpleGrid>
  );
}

function Detail({ report: r, onDecided }: { report: ReportDetail; onDecided: () => void }) {
  const { t, lang, dateTime } = useI18n();
  const labels = useReportLabels();
  const { session } = useSession();
  // As the server's decision route: analysts and supervisors of the centre; auditors read.
  const mayDecide = hasRole(session, 'analyst', 'supervisor');
  const canDecide = mayDecide && r.status === 'open';
  const known = (SCAM_CATEGORIES as readonly string[]).includes(r.category);
  const [category, setCategory] = useState<ScamCategory>(known ? (r.category as ScamCategory) : 'other');
  const [note, setNote] = useState('');
  const targets = r.related.filter((x) => x.id !== r.id && (x.status === 'open' || x.status === 'confirmed'));
  const [mergeInto, setMergeInto] = useState(targets[0]?.id ?? '');
  const publicNote = note.trim() ? { publicNote: note.trim() } : {};
  const noteField = (
    <Textarea
      label={t('reports.publicNote')}
      description={t('reports.publicNoteHint')}
      value={note}
      onChange={(e) => setNote(e.currentTarget.value)}
      autosize
      minRows={2}
      maxLength={500}
    />
  );
  const decided = {
    confirmed: 'reports.decidedConfirmed',
    rejected: 'reports.decidedRejected',
    merged: 'reports.decidedMerged',
  } as const;

  return (
    <Stack gap="lg">
      <PageTitle title={t('reports.detailTitle')}>
        <Group gap="sm" wrap="wrap">
          <Title order={3} size="h4" ff="monospace" data-testid="report-code">
            {r.receiptCode}
          </Title>
          <ReportStatusBadge status={r.status} />
          <UrgencyBadges
            item={{
              lostMoney: r.loss !== null,
              amount: r.loss ? `${r.loss.amount} ${r.loss.currency}` : null,
              ageGroup: r.ageGroup,
              held: r.indicators.some((i) => i.candidate?.status === 'held'),
              moneyLostNow: r.loss?.ongoing ?? false,
            }}
          />
        </Group>
        {canDecide ? (
          <Group gap="sm" wrap="wrap" mt="xs" data-testid="report-decisions">
            <ReasonDialog
              button={t('reports.confirm')}
              title={t('reports.confirmTitle')}
              body={t('reports.confirmBody', { code: r.receiptCode })}
              confirm={t('reports.confirmConfirm')}
              action={(reason) =>
                api.decideReport(r.id, { decision: 'confirm', reason, category, ...publicNote })
              }
              onDone={onDecided}
            >
              <NativeSelect
                label={t('reports.listAs')}
                value={category}
                onChange={(e) => setCategory(e.currentTarget.value as ScamCategory)}
                data={SCAM_CATEGORIES.map((c) => ({ value: c, label: labels.category(c) }))}
              />
              {noteField}
            </ReasonDialog>
            <ReasonDialog
              button={t('reports.reject')}
              title={t('reports.rejectTitle')}
              body={t('reports.rejectBody', { code: r.receiptCode })}
              confirm={t('reports.rejectConfirm')}
              color="gray"
              action={(reason) => api.decideReport(r.id, { decision: 'reject', reason, ...publicNote })}
              onDone={onDecided}
            >
              {noteField}
            </ReasonDialog>
            {targets.length ? (
              <ReasonDialog
                button={t('reports.merge')}
                title={t('reports.mergeTitle')}
                body={t('reports.mergeBody', { code: r.receiptCode })}
                confirm={t('reports.mergeConfirm')}
                color="blue"
                action={(reason) =>
                  api.decideReport(r.id, { decision: 'merge', reason, mergeInto, ...publicNote })
                }
                onDone={onDecided}
              >
                <NativeSelect
                  label={t('reports.mergeInto')}
                  value={mergeInto}
                  onChange={(e) => setMergeInto(e.currentTarget.value)}
                  data={targets.map((x) => ({
                    value: x.id,
                    label: `${x.receiptCode} · ${labels.status(x.status)} · ${dateTime(x.createdAt)}`,
                  }))}
                />
                {noteField}
              </ReasonDialog>
            ) : null}
          </Group>
        ) : null}
      </PageTitle>

      {!mayDecide ? (
        <Alert color="gray" variant="light">
          {t('reports.readOnly')}
        </Alert>
      ) : null}

      {r.status !== 'open' ? (
        <Alert
          color={r.status === 'confirmed' ? 'red' : r.status === 'merged' ? 'blue' : 'gray'}
          variant="light"
          data-testid="report-decision"
        >
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              {t(decided[r.status], { name: r.decidedBy ?? t('common.none'), at: dateTime(r.decidedAt) })}
            </Text>
            {r.decisionReason ? <Text size="sm">{r.decisionReason}</Text> : null}
            {r.publicNote ? (
              <Text size="sm" c="dimmed">
                {t('reports.publicNoteShown', { note: r.publicNote })}
              </Text>
            ) : null}
            {r.mergedInto ? (
              <Text size="sm">
                {t('reports.mergedInto')}:{' '}
                <Anchor {...linkProps(`/reports/${r.mergedInto}`)} size="sm">
                  {r.related.find((x) => x.id === r.mergedInto)?.receiptCode ?? r.mergedInto}
                </Anchor>
              </Text>
            ) : null}
          </Stack>
        </Alert>
      ) : null}

      <Paper withBorder p="md" radius="md">
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="md">
          <Field label={t('reports.kind')}>{labels.kind(r.kind)}</Field>
          <Field label={t('reports.channel')}>{labels.channel(r.channel)}</Field>
          <Field label={t('reports.category')}>{labels.category(r.category)}</Field>
          <Field label={t('reports.urgency')}>{r.urgency}</Field>
          <Field label={t('reports.receivedAt')}>{dateTime(r.createdAt)}</Field>
          <Field label={t('reports.occurredAt')}>{dateTime(r.occurredAt)}</Field>
          <Field label={t('reports.ageGroup')}>
            {r.ageGroup ? labels.ageGroup(r.ageGroup) : t('common.none')}
          </Field>
          <Field label={t('reports.forRelative')}>
            {t(r.forRelative ? 'reports.forRelativeYes' : 'reports.forRelativeNo')}
          </Field>
          <Field label={t('reports.contact')}>{r.contact ?? t('common.none')}</Field>
          {r.externalRef ? <Field label={t('reports.externalRef')}>{r.externalRef}</Field> : null}
        </SimpleGrid>
      </Paper>

      <Section title={t('reports.subject')}>
        <Subject report={r} />
      </Section>

      <Section title={t('reports.content')}>
        {r.content ? (
          <Paper withBorder p="md" radius="md" bg="var(--mantine-color-gray-0)">
            <Text
              size="sm"
              style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}
              data-testid="report-content"
            >
              {r.content}
            </Text>
          </Paper>
        ) : (
          <Text size="sm" c="dimmed">
            {t('reports.noContent')}
          </Text>
        )}
      </Section>

      <Section title={t('reports.loss')}>
        {r.loss ? (
          <Paper withBorder p="md" radius="md">
            <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="md">
              <Field label={t('reportForm.amount')}>{money(r.loss.amount, lang, r.loss.currency)}</Field>
              <Field label={t('reports.paidAt')}>{dateTime(r.loss.paidAt)}</Field>
              <Field label={t('reports.method')}>
                {r.loss.method ? labels.method(r.loss.method) : t('common.none')}
              </Field>
              <Field label={t('reports.lostNow')}>{t(r.loss.ongoing ? 'common.yes' : 'common.no')}</Field>
            </SimpleGrid>
            {mayDecide && r.subject?.account?.value && (
              <Group mt="md">
                <OpenCaseForm
                  report={{
                    reportId: r.id,
                    payeeAccount: r.subject.account.value,
                    amount: r.loss.amount,
                    paidAt: r.loss.paidAt,
                  }}
                />
              </Group>
            )}
          </Paper>
        ) : (
          <Text size="sm" c="dimmed">
            {t('reports.noLoss')}
          </Text>
        )}
      </Section>

      <Section title={t('reports.classification')}>
        {r.classification ? (
          <Paper withBorder p="md" radius="md" data-testid="report-classification">
            <Stack gap="sm">
              <SimpleGrid cols={{ base: 2, sm: 3 }} spacing="md">
                <Field label={t('reports.label')}>
                  <span data-testid="classifier-label">
                    {r.classification.label === 'normal'
                      ? t('reports.labelNormal')
                      : labels.category(r.classification.label)}
                  </span>
                </Field>
                <Field label={t('reports.probability')}>{percent(r.classification.probability)}</Field>
                <Field label={t('reports.language')}>{r.classification.language}</Field>
              </SimpleGrid>
              <Stack gap={4}>
                <Text size="xs" c="dimmed">
                  {t('reports.features')}
                </Text>
                <Group gap={6} wrap="wrap" data-testid="classifier-features">
                  {r.classification.features.map((f) => (
                    <Tooltip key={f.feature} label={f.weight.toFixed(3)}>
                      <Badge
                        color={f.weight < 0 ? 'gray' : r.classification?.label === 'normal' ? 'green' : 'red'}
                        variant="light"
                        tt="none"
                        radius="sm"
                        data-testid="classifier-feature"
                      >
                        {f.feature}
                      </Badge>
                    </Tooltip>
                  ))}
                </Group>
              </Stack>
            </Stack>
          </Paper>
        ) : (
          <Text size="sm" c="dimmed">
            {t('reports.noClassification')}
          </Text>
        )}
      </Section>

      <Section title={t('reports.indicators')}>
        <DataTable
          label={t('reports.indicators')}
          minWidth={760}
          empty={t('reports.noIndicators')}
          rows={r.indicators.map((i) => ({ ...i, id: `${i.kind}:${i.value}:${i.role}` }))}
          columns={[
            { header: t('reports.kind'), cell: (i) => labels.indicatorKind(i.kind) },
            {
              header: t('reports.value'),
              cell: (i) => (
                <Text size="sm" style={{ wordBreak: 'break-all' }} data-testid="indicator-value">
                  {i.value}
                </Text>
              ),
            },
            {
              header: t('reports.role'),
              cell: (i) => t(i.role === 'subject' ? 'reports.roleSubject' : 'reports.roleContent'),
            },
            {
              header: t('reports.candidate'),
              cell: (i) =>
                i.candidate ? (
                  <Stack gap={2}>
                    <div>
                      <CandidateBadge status={i.candidate.status} />
                    </div>
                    <Text size="xs" c="dimmed">
                      {t('reports.candidateCounts', {
                        reports: i.candidate.reports,
                        reporters: i.candidate.reporters,
                      })}
                    </Text>
                    {i.candidate.coordination?.reasons.length ? (
                      <Text size="xs" c="orange.8">
                        {t('reports.coordination', {
                          reasons: i.candidate.coordination.reasons
                            .map((x) => labels.coordination(x))
                            .join(lang === 'zh-CN' ? '；' : '; '),
                        })}
                      </Text>
                    ) : null}
                  </Stack>
                ) : (
                  t('common.none')
                ),
            },
            {
              header: t('reports.listing'),
              cell: (i) => {
                const listingId = i.listing?.id ?? i.candidate?.listingId;
                return listingId ? (
                  <Stack gap={2}>
                    {i.listing ? (
                      <div>
                        <StatusBadge status={i.listing.status} />
                      </div>
                    ) : null}
                    <Anchor {...linkProps(`/registry/listings/${listingId}`)} size="sm">
                      {t('reports.openListing')}
                    </Anchor>
                  </Stack>
                ) : (
                  t('common.none')
                );
              },
            },
          ]}
        />
      </Section>

      <Section title={t('reports.evidence')}>
        <DataTable
          label={t('reports.evidence')}
          minWidth={640}
          empty={t('reports.noEvidence')}
          rows={r.evidence}
          columns={[
            {
              header: t('reports.fileName'),
              cell: (e) => (
                <Anchor
                  href={api.evidenceUrl(r.id, e.id)}
                  download={e.fileName}
                  size="sm"
                  style={{ wordBreak: 'break-all' }}
                >
                  {e.fileName}
                </Anchor>
              ),
            },
            { header: t('reports.mediaType'), cell: (e) => e.mediaType },
            { header: t('reports.size'), cell: (e) => fileSize(e.size) },
            { header: t('reports.receivedAt'), cell: (e) => dateTime(e.createdAt) },
            {
              header: 'SHA-256',
              cell: (e) => (
                <Tooltip label={e.sha256}>
                  <Code>{e.sha256.slice(0, 12)}…</Code>
                </Tooltip>
              ),
            },
          ]}
        />
      </Section>

      <Section title={t('reports.related')}>
        <DataTable
          label={t('reports.related')}
          minWidth={420}
          empty={t('reports.noRelated')}
          rows={r.related}
          columns={[
            {
              header: t('reports.receiptCode'),
              cell: (x) => (
                <Anchor {...linkProps(`/reports/${x.id}`)} size="sm" ff="monospace">
                  {x.receiptCode}
                </Anchor>
              ),
            },
            { header: t('reports.status'), cell: (x) => <ReportStatusBadge status={x.status} /> },
            { header: t('reports.receivedAt'), cell: (x) => dateTime(x.createdAt) },
          ]}
        />
      </Section>
    </Stack>
  );
}
