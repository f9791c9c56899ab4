import {
  Alert,
  Anchor,
  Button,
  CopyButton,
  Group,
  List,
  Paper,
  Radio,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import {
  api,
  APPEAL_SUBJECT_KINDS,
  asApiError,
  type AppealInput,
  type AppealReceipt,
  type AppealSubjectKind,
} from '../../api.ts';
import { CitizenLinks } from '../../components/CitizenLinks.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { PublicLayout } from '../../components/PublicLayout.tsx';
import { useI18n, type MessageKey } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { inLang } from '../reports/reportLabels.tsx';
import { EvidencePicker, FileResults, type FileResult } from '../reports/EvidenceFiles.tsx';
import { MONO_INPUT, uploadAppealEvidence, useAppealLabels } from './labels.tsx';

interface Draft {
  kind: AppealSubjectKind | null;
  value: string;
  idNumber: string;
  name: string;
  contactPhone: string;
  explanation: string;
}

const EMPTY: Draft = { kind: null, value: '', idNumber: '', name: '', contactPhone: '', explanation: '' };

type Field = keyof Draft;
type Errors = Partial<Record<Field, string>>;

/** The problem codes the server answers for a field of this form. */
const SERVER_FIELDS: Record<string, Field> = {
  subject_required: 'value',
  invalid_subject: 'value',
  invalid_notice: 'value',
  invalid_id_number: 'idNumber',
  invalid_name: 'name',
  invalid_contact_phone: 'contactPhone',
  invalid_explanation: 'explanation',
};

function check(d: Draft): Errors {
  const e: Errors = {};
  if (!d.kind) e.kind = 'appealForm.kindRequired';
  if (d.kind && d.kind !== 'person' && !d.value.trim()) e.value = 'appealForm.valueRequired';
  if (!d.idNumber.trim()) e.idNumber = 'appealForm.idNumberRequired';
  if (!d.name.trim()) e.name = 'appealForm.nameRequired';
  if (!d.explanation.trim()) e.explanation = 'appealForm.explanationRequired';
  return e;
}

function toInput(d: Draft, language: 'zh' | 'en'): AppealInput {
  const kind = d.kind!;
  return {
    subject: kind === 'person' ? { kind } : { kind, value: d.value.trim() },
    appellant: {
      idNumber: d.idNumber.trim(),
      name: d.name.trim(),
      ...(d.contactPhone.trim() ? { contactPhone: d.contactPhone.trim() } : {}),
    },
    explanation: d.explanation.trim(),
    language,
  };
}

/**
 * `/appeal`: anyone whose card, account or internet account was restricted, or who is on a list,
 * appeals without an account. The answer is a receipt whether or not a measure was found: the form
 * never tells what stands against a number (nor whose it is).
 */
export function AppealFormPage() {
  const { t, lang } = useI18n();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [files, setFiles] = useState<File[]>([]);
  const [errors, setErrors] = useState<Errors>({});
  const [serverErrors, setServerErrors] = useState<Errors>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<AppealReceipt | null>(null);
  const [results, setResults] = useState<FileResult[]>([]);

  const set = (field: Field, value: string) => {
    setDraft((d) => ({ ...d, [field]: value }));
    setErrors((e) => ({ ...e, [field]: undefined }));
    setServerErrors((e) => ({ ...e, [field]: undefined }));
  };
  const errorOf = (field: Field) =>
    serverErrors[field] ?? (errors[field] ? t(errors[field] as MessageKey) : undefined);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setServerErrors({});
    const found = check(draft);
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const receipt = await api.submitAppeal(toInput(draft, lang === 'zh-CN' ? 'zh' : 'en'));
      setDone(receipt);
      window.scrollTo(0, 0);
      if (files.length) await uploadAppealEvidence(receipt.receiptCode, files, setResults);
    } catch (err) {
      const e = asApiError(err);
      const field = SERVER_FIELDS[e.code];
      if (field) setServerErrors({ [field]: e.detail });
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  function again() {
    setDraft(EMPTY);
    setFiles([]);
    setResults([]);
    setErrors({});
    setServerErrors({});
    setError(null);
    setDone(null);
    window.scrollTo(0, 0);
  }

  const invalid = Object.values(errors).some(Boolean);

  return (
    <PublicLayout>
      <Stack gap="lg">
        <Stack gap={4}>
          <Title order={2}>{t('appealForm.title')}</Title>
          <Text size="sm" c="dimmed">
            {t('appealForm.intro')}
          </Text>
          <Anchor {...linkProps('/appeal/receipt')} size="sm">
            {t('appealForm.haveCode')}
          </Anchor>
        </Stack>
        {done ? (
          <Done receipt={done} results={results} onAgain={again} />
        ) : (
          <>
            <WhatToBring />
            <Paper
              withBorder
              p="md"
              radius="md"
              component="form"
              onSubmit={submit}
              noValidate
              aria-label={t('appealForm.title')}
            >
              <Stack gap="lg">
                <SubjectChoice
                  value={draft.kind}
                  onChange={(k) => {
                    set('kind', k);
                    setErrors((e) => ({ ...e, value: undefined }));
                    setServerErrors((e) => ({ ...e, value: undefined }));
                  }}
                  error={errorOf('kind')}
                />
                {draft.kind && draft.kind !== 'person' ? (
                  <TextInput
                    label={t(`appealForm.valueLabels.${draft.kind}`)}
                    placeholder={t(`appealForm.valuePlaceholders.${draft.kind}`)}
                    value={draft.value}
                    onChange={(e) => set('value', e.currentTarget.value)}
                    error={errorOf('value')}
                    withAsterisk
                    size="md"
                    autoComplete="off"
                    inputMode={draft.kind === 'msisdn' ? 'tel' : 'text'}
                    spellCheck={false}
                  />
                ) : null}
                <Stack gap="sm">
                  <Stack gap={2}>
                    <Title order={3} size="h5">
                      {t('appealForm.you')}
                    </Title>
                    <Text size="xs" c="dimmed">
                      {t('appealForm.youHint')}
                    </Text>
                  </Stack>
                  <TextInput
                    label={t('appealForm.name')}
                    value={draft.name}
                    onChange={(e) => set('name', e.currentTarget.value)}
                    error={errorOf('name')}
                    withAsterisk
                    size="md"
                    autoComplete="name"
                  />
                  <TextInput
                    label={t('appealForm.idNumber')}
                    description={t('appealForm.idNumberHint')}
                    value={draft.idNumber}
                    onChange={(e) => set('idNumber', e.currentTarget.value)}
                    error={errorOf('idNumber')}
                    withAsterisk
                    size="md"
                    autoComplete="off"
                    spellCheck={false}
                    styles={MONO_INPUT}
                  />
                  <TextInput
                    label={t('appealForm.contactPhone')}
                    description={t('appealForm.contactPhoneHint')}
                    value={draft.contactPhone}
                    onChange={(e) => set('contactPhone', e.currentTarget.value)}
                    error={errorOf('contactPhone')}
                    type="tel"
                    inputMode="tel"
                    autoComplete="tel"
                    size="md"
                  />
                </Stack>
                <Textarea
                  label={t('appealForm.explanation')}
                  placeholder={t('appealForm.explanationPlaceholder')}
                  value={draft.explanation}
                  onChange={(e) => set('explanation', e.currentTarget.value)}
                  error={errorOf('explanation')}
                  withAsterisk
                  autosize
                  minRows={4}
                  maxRows={14}
                  maxLength={4000}
                  size="md"
                />
                <EvidencePicker
                  label={t('appealForm.evidence')}
                  description={t('appealForm.evidenceHint')}
                  files={files}
                  onChange={setFiles}
                />
                {invalid ? (
                  <Text size="sm" c="red" role="alert">
                    {t('appealForm.fixErrors')}
                  </Text>
                ) : null}
                {error ? <ErrorAlert error={error} /> : null}
                <Button type="submit" loading={busy} size="lg" fullWidth>
                  {t('appealForm.submit')}
                </Button>
              </Stack>
            </Paper>
          </>
        )}
        <Paper withBorder p="lg" radius="md">
          <Stack gap="xs">
            <Title order={3} size="h5">
              {t('public.heading')}
            </Title>
            <CitizenLinks except="/appeal" />
            <Anchor {...linkProps('/appeal/receipt')} size="sm">
              {t('public.appealStatus')}
            </Anchor>
            <Text size="sm" mt="sm">
              <Anchor {...linkProps('/login')}>{t('public.staffSignIn')}</Anchor>
            </Text>
          </Stack>
        </Paper>
      </Stack>
    </PublicLayout>
  );
}

/** What to bring and what happens next: the same words the measure's notice gives. */
function WhatToBring() {
  const { t } = useI18n();
  return (
    <Alert color="blue" variant="light" title={t('appealForm.bringTitle')} data-testid="appeal-bring">
      <List size="sm" spacing={4}>
        <List.Item>{t('appealForm.bring1')}</List.Item>
        <List.Item>{t('appealForm.bring2')}</List.Item>
        <List.Item>{t('appealForm.next1')}</List.Item>
        <List.Item>{t('appealForm.next2')}</List.Item>
        <List.Item>{t('appealForm.next3')}</List.Item>
      </List>
    </Alert>
  );
}

/** Big touch-friendly choices of what is restricted. */
function SubjectChoice({
  value,
  onChange,
  error,
}: {
  value: AppealSubjectKind | null;
  onChange: (k: AppealSubjectKind) => void;
  error?: string;
}) {
  const { t } = useI18n();
  const labels = useAppealLabels();
  return (
    <Radio.Group
      value={value ?? ''}
      onChange={(v) => onChange(v as AppealSubjectKind)}
      label={
        <Text fw={700} size="lg" component="span">
          {t('appealForm.what')}
        </Text>
      }
      error={error}
    >
      <SimpleGrid cols={{ base: 1, xs: 2, sm: 3 }} spacing="sm" mt="xs">
        {APPEAL_SUBJECT_KINDS.map((k) => (
          <Radio.Card
            key={k}
            value={k}
            radius="md"
            p="sm"
            mih={64}
            aria-label={labels.subject(k)}
            data-testid={`subject-${k}`}
          >
            <Group wrap="nowrap" align="flex-start" gap="xs">
              <Radio.Indicator mt={2} />
              <Stack gap={2} miw={0}>
                <Text fw={600} size="md">
                  {labels.subject(k)}
                </Text>
                <Text size="xs" c="dimmed">
                  {t(`appealForm.subjectHints.${k}`)}
                </Text>
              </Stack>
            </Group>
          </Radio.Card>
        ))}
      </SimpleGrid>
    </Radio.Group>
  );
}

/** The receipt code, prominently, with the deadline and how to follow the appeal; the files' outcomes. */
function Done({
  receipt,
  results,
  onAgain,
}: {
  receipt: AppealReceipt;
  results: FileResult[];
  onAgain: () => void;
}) {
  const { t, lang, dateTime } = useI18n();
  const code = receipt.receiptCode;
  return (
    <Stack gap="md" data-testid="appeal-done">
      <Alert color="green" variant="light" title={t('appealForm.doneTitle')} role="status">
        <Stack gap="sm">
          <Text size="sm" fw={600}>
            {t('appealForm.receiptCode')}
          </Text>
          <Group gap="sm" wrap="wrap" align="center">
            <Text
              ff="monospace"
              fw={700}
              fz={28}
              style={{ letterSpacing: '0.08em', wordBreak: 'break-all' }}
              data-testid="receipt-code"
            >
              {code}
            </Text>
            <CopyButton value={code}>
              {({ copied, copy }) => (
                <Button size="sm" variant={copied ? 'filled' : 'light'} color="green" onClick={copy}>
                  {copied ? t('common.copied') : t('common.copy')}
                </Button>
              )}
            </CopyButton>
          </Group>
          <Text size="md" fw={600} data-testid="appeal-respond-by">
            {t('appealForm.respondBy', { date: dateTime(receipt.respondBy) })}
          </Text>
          <Text size="sm">{inLang(receipt.message, lang)}</Text>
          <Button component="a" {...linkProps(`/appeal/receipt/${code}`)} size="md" fullWidth>
            {t('appealForm.followLink')}
          </Button>
        </Stack>
      </Alert>
      <FileResults results={results} />
      <Button variant="default" onClick={onAgain} size="md">
        {t('appealForm.another')}
      </Button>
    </Stack>
  );
}
