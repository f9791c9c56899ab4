import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  CopyButton,
  Group,
  NativeSelect,
  Paper,
  Radio,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import {
  AGE_GROUPS,
  api,
  asApiError,
  PAYMENT_METHODS,
  REPORT_KINDS,
  type AgeGroup,
  type PaymentMethod,
  type ReportInput,
  type ReportKind,
  type SubmittedReport,
} from '../../api.ts';
import { CitizenLinks } from '../../components/CitizenLinks.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { PublicLayout } from '../../components/PublicLayout.tsx';
import { useI18n, type MessageKey } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { EvidencePicker, FileResults, uploadAll, type FileResult } from './EvidenceFiles.tsx';
import { useReportLabels } from './reportLabels.tsx';

interface Draft {
  kind: ReportKind | null;
  phone: string;
  url: string;
  appName: string;
  appPackage: string;
  appSource: string;
  account: string;
  institution: string;
  provider: string;
  platform: string;
  accountId: string;
  content: string;
  occurredAt: string;
  lostMoney: 'no' | 'yes';
  amount: string;
  paidAt: string;
  method: PaymentMethod | '';
  ongoing: boolean;
  victim: 'self' | 'relative';
  ageGroup: AgeGroup | '';
  contactPhone: string;
}

const EMPTY: Draft = {
  kind: null,
  phone: '',
  url: '',
  appName: '',
  appPackage: '',
  appSource: '',
  account: '',
  institution: '',
  provider: '',
  platform: '',
  accountId: '',
  content: '',
  occurredAt: '',
  lostMoney: 'no',
  amount: '',
  paidAt: '',
  method: '',
  ongoing: false,
  victim: 'self',
  ageGroup: '',
  contactPhone: '',
};

type Field = keyof Draft;
type Errors = Partial<Record<Field, string>>;

const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;
/** `2026-11-30T09:45` (the browser's local time) → ISO 8601 with offset, as the server wants. */
const isoOf = (local: string) => (local ? new Date(local).toISOString() : undefined);
const opt = (s: string) => (s.trim() ? s.trim() : undefined);

/** The fields the server names in a problem's detail (`subject.phone: …`), as this form's fields. */
const SERVER_FIELDS: [string, Field][] = [
  ['subject.phone', 'phone'],
  ['subject.url', 'url'],
  ['subject.app.package', 'appPackage'],
  ['subject.account.value', 'account'],
  ['subject.internetAccount', 'accountId'],
  ['loss.amount', 'amount'],
  ['loss.paidAt', 'paidAt'],
  ['occurredAt', 'occurredAt'],
  ['contactPhone', 'contactPhone'],
  ['content', 'content'],
];

/** What the kind needs; the messages of what is missing. */
function check(d: Draft): Errors {
  const e: Errors = {};
  const need = (field: Field, ok: boolean, key: MessageKey) => {
    if (!ok) e[field] = key;
  };
  switch (d.kind) {
    case null:
      e.kind = 'reportForm.kindRequired';
      break;
    case 'call':
      need('phone', !!d.phone.trim(), 'reportForm.phoneRequired');
      break;
    case 'sms':
      need('content', !!d.content.trim(), 'reportForm.smsTextRequired');
      break;
    case 'link':
      need('url', !!d.url.trim(), 'reportForm.urlRequired');
      break;
    case 'app':
      need(
        'appName',
        !!(d.appName.trim() || d.appPackage.trim() || d.appSource.trim() || d.content.trim()),
        'reportForm.appRequired',
      );
      break;
    case 'account':
      need('account', !!d.account.trim(), 'reportForm.accountRequired');
      break;
    case 'internet_account':
      need('platform', !!d.platform.trim(), 'reportForm.platformRequired');
      need('accountId', !!d.accountId.trim(), 'reportForm.accountIdRequired');
      break;
    case 'other':
      need('content', !!d.content.trim(), 'reportForm.descriptionRequired');
      break;
  }
  if (d.lostMoney === 'yes')
    need('amount', AMOUNT.test(d.amount.trim().replace(/[,，\s]/g, '')), 'reportForm.amountRequired');
  return e;
}

/** Only what the chosen kind needs goes to the server. */
function toInput(d: Draft, language: 'zh' | 'en'): ReportInput {
  const kind = d.kind!;
  const subject: NonNullable<ReportInput['subject']> = {};
  if ((kind === 'call' || kind === 'sms') && d.phone.trim()) subject.phone = d.phone.trim();
  if (kind === 'link') subject.url = d.url.trim();
  if (kind === 'app' && (d.appName.trim() || d.appPackage.trim() || d.appSource.trim()))
    subject.app = { name: opt(d.appName), package: opt(d.appPackage), source: opt(d.appSource) };
  if (kind === 'account')
    subject.account = { value: d.account.trim(), institution: opt(d.institution), provider: opt(d.provider) };
  if (kind === 'internet_account')
    subject.internetAccount = { platform: d.platform.trim(), id: d.accountId.trim() };
  return {
    kind,
    ...(Object.keys(subject).length ? { subject } : {}),
    ...(d.content.trim() ? { content: d.content.trim() } : {}),
    ...(d.occurredAt ? { occurredAt: isoOf(d.occurredAt) } : {}),
    ...(d.lostMoney === 'yes'
      ? {
          loss: {
            amount: d.amount.trim().replace(/[,，\s]/g, ''),
            currency: 'CNY',
            ...(d.paidAt ? { paidAt: isoOf(d.paidAt) } : {}),
            ...(d.method ? { method: d.method } : {}),
            ongoing: d.ongoing,
          },
        }
      : {}),
    ...(d.ageGroup ? { ageGroup: d.ageGroup } : {}),
    forRelative: d.victim === 'relative',
    ...(d.contactPhone.trim() ? { contactPhone: d.contactPhone.trim() } : {}),
    language,
  };
}

/** `/report`: anyone may report a scam, no account needed; a receipt code follows the report. */
export function ReportFormPage() {
  const { t, lang } = useI18n();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [files, setFiles] = useState<File[]>([]);
  const [errors, setErrors] = useState<Errors>({});
  const [serverErrors, setServerErrors] = useState<Errors>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ receipt: SubmittedReport; ongoing: boolean } | null>(null);
  const [results, setResults] = useState<FileResult[]>([]);

  const set = <K extends Field>(field: K, value: Draft[K]) => {
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
      const receipt = await api.submitReport(toInput(draft, lang === 'zh-CN' ? 'zh' : 'en'));
      setDone({ receipt, ongoing: draft.lostMoney === 'yes' && draft.ongoing });
      window.scrollTo(0, 0);
      if (files.length) await uploadAll(receipt.receiptCode, files, setResults);
    } catch (err) {
      const detail = asApiError(err).detail;
      const field = SERVER_FIELDS.find(
        ([prefix]) => detail.startsWith(`${prefix}:`) || detail.startsWith(prefix),
      );
      if (field) setServerErrors({ [field[1]]: detail });
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
          <Title order={2}>{t('reportForm.title')}</Title>
          <Text size="sm" c="dimmed">
            {t('reportForm.intro')}
          </Text>
          <Anchor {...linkProps('/receipt')} size="sm">
            {t('reportForm.haveCode')}
          </Anchor>
        </Stack>
        {done ? (
          <Done receipt={done.receipt} ongoing={done.ongoing} results={results} onAgain={again} />
        ) : (
          <Paper
            withBorder
            p="md"
            radius="md"
            component="form"
            onSubmit={submit}
            noValidate
            aria-label={t('reportForm.title')}
          >
            <Stack gap="lg">
              <KindChoice
                value={draft.kind}
                onChange={(k) => {
                  set('kind', k);
                  // the fields of another kind are gone, and so are their messages
                  setErrors({});
                  setServerErrors({});
                }}
                error={errorOf('kind')}
              />
              {draft.kind ? (
                <>
                  <KindFields draft={draft} set={set} errorOf={errorOf} />
                  <LossFields draft={draft} set={set} errorOf={errorOf} />
                  <VictimFields draft={draft} set={set} errorOf={errorOf} />
                  <EvidencePicker
                    label={t('reportForm.evidence')}
                    description={t('reportForm.evidenceHint')}
                    files={files}
                    onChange={setFiles}
                  />
                </>
              ) : null}
              {invalid ? (
                <Text size="sm" c="red" role="alert">
                  {t('reportForm.fixErrors')}
                </Text>
              ) : null}
              {error ? <ErrorAlert error={error} /> : null}
              <Button type="submit" loading={busy} size="lg" fullWidth>
                {t('reportForm.submit')}
              </Button>
            </Stack>
          </Paper>
        )}
        <Alert color="red" variant="outline">
          {t('public.emergency')}
        </Alert>
        <Paper withBorder p="lg" radius="md">
          <Stack gap="xs">
            <Title order={3} size="h5">
              {t('public.heading')}
            </Title>
            <CitizenLinks except="/report" />
            <Anchor {...linkProps('/receipt')} size="sm">
              {t('receipt.title')}
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

interface FieldsProps {
  draft: Draft;
  set: <K extends Field>(field: K, value: Draft[K]) => void;
  errorOf: (field: Field) => string | undefined;
}

/** Big touch-friendly choices of what happened. */
function KindChoice({
  value,
  onChange,
  error,
}: {
  value: ReportKind | null;
  onChange: (k: ReportKind) => void;
  error?: string;
}) {
  const { t } = useI18n();
  const labels = useReportLabels();
  return (
    <Radio.Group
      value={value ?? ''}
      onChange={(v) => onChange(v as ReportKind)}
      label={
        <Text fw={700} size="lg" component="span">
          {t('reportForm.whatHappened')}
        </Text>
      }
      error={error}
    >
      <SimpleGrid cols={{ base: 2, sm: 3 }} spacing="sm" mt="xs">
        {REPORT_KINDS.map((k) => (
          <Radio.Card
            key={k}
            value={k}
            radius="md"
            p="sm"
            mih={76}
            aria-label={labels.kind(k)}
            data-testid={`kind-${k}`}
          >
            <Group wrap="nowrap" align="flex-start" gap="xs">
              <Radio.Indicator mt={2} />
              <Stack gap={2} miw={0}>
                <Text fw={600} size="md">
                  {labels.kind(k)}
                </Text>
                <Text size="xs" c="dimmed">
                  {t(`reportForm.kindHints.${k}`)}
                </Text>
              </Stack>
            </Group>
          </Radio.Card>
        ))}
      </SimpleGrid>
    </Radio.Group>
  );
}

/** Only the fields the kind needs. */
function KindFields({ draft: d, set, errorOf }: FieldsProps) {
  const { t } = useI18n();
  const text = (field: Field, label: string, extra: Record<string, unknown> = {}) => (
    <TextInput
      label={label}
      value={d[field] as string}
      onChange={(e) => set(field, e.currentTarget.value)}
      error={errorOf(field)}
      size="md"
      autoComplete="off"
      {...extra}
    />
  );
  const content = (label: string, placeholder: string, required = false) => (
    <Textarea
      label={label}
      placeholder={placeholder}
      value={d.content}
      onChange={(e) => set('content', e.currentTarget.value)}
      error={errorOf('content')}
      withAsterisk={required}
      autosize
      minRows={3}
      maxRows={12}
      size="md"
    />
  );
  return (
    <Stack gap="sm">
      <Title order={3} size="h5">
        {t('reportForm.details')}
      </Title>
      {d.kind === 'call' ? (
        <>
          {text('phone', t('reportForm.phone'), {
            placeholder: t('reportForm.phonePlaceholder'),
            inputMode: 'tel',
            type: 'tel',
            withAsterisk: true,
          })}
          {content(t('reportForm.callContent'), t('reportForm.descriptionPlaceholder'))}
        </>
      ) : null}
      {d.kind === 'sms' ? (
        <>
          {content(t('reportForm.smsText'), t('reportForm.smsTextPlaceholder'), true)}
          {text('phone', t('reportForm.smsPhone'), {
            placeholder: t('reportForm.phonePlaceholder'),
            inputMode: 'tel',
            type: 'tel',
          })}
        </>
      ) : null}
      {d.kind === 'link' ? (
        <>
          {text('url', t('reportForm.url'), {
            placeholder: t('reportForm.urlPlaceholder'),
            inputMode: 'url',
            withAsterisk: true,
          })}
          {content(t('reportForm.descriptionOptional'), t('reportForm.descriptionPlaceholder'))}
        </>
      ) : null}
      {d.kind === 'app' ? (
        <>
          {text('appName', t('reportForm.appName'))}
          {text('appPackage', t('reportForm.appPackage'), {
            placeholder: t('reportForm.appPackagePlaceholder'),
          })}
          {text('appSource', t('reportForm.appSource'), {
            placeholder: t('reportForm.appSourcePlaceholder'),
          })}
          {content(t('reportForm.descriptionOptional'), t('reportForm.descriptionPlaceholder'))}
        </>
      ) : null}
      {d.kind === 'account' ? (
        <>
          {text('account', t('reportForm.account'), { inputMode: 'text', withAsterisk: true })}
          {text('institution', t('reportForm.institution'))}
          {text('provider', t('reportForm.provider'), { placeholder: t('reportForm.providerPlaceholder') })}
          {content(t('reportForm.descriptionOptional'), t('reportForm.descriptionPlaceholder'))}
        </>
      ) : null}
      {d.kind === 'internet_account' ? (
        <>
          {text('platform', t('reportForm.platform'), {
            placeholder: t('reportForm.platformPlaceholder'),
            withAsterisk: true,
          })}
          {text('accountId', t('reportForm.accountId'), { withAsterisk: true })}
          {content(t('reportForm.descriptionOptional'), t('reportForm.descriptionPlaceholder'))}
        </>
      ) : null}
      {d.kind === 'other'
        ? content(t('reportForm.description'), t('reportForm.descriptionPlaceholder'), true)
        : null}
      {text('occurredAt', t('reportForm.occurredAt'), { type: 'datetime-local' })}
    </Stack>
  );
}

/** "Did you lose money?": amount, when, how, and whether it is happening now. */
function LossFields({ draft: d, set, errorOf }: FieldsProps) {
  const { t } = useI18n();
  const labels = useReportLabels();
  return (
    <Stack gap="sm">
      <Stack gap={4}>
        <Text fw={600} size="sm" id="report-money">
          {t('reportForm.money')}
        </Text>
        <SegmentedControl
          aria-labelledby="report-money"
          fullWidth
          size="md"
          value={d.lostMoney}
          onChange={(v) => set('lostMoney', v as Draft['lostMoney'])}
          data={[
            { value: 'no', label: t('reportForm.moneyNo') },
            { value: 'yes', label: t('reportForm.moneyYes') },
          ]}
        />
      </Stack>
      {d.lostMoney === 'yes' ? (
        <>
          <TextInput
            label={t('reportForm.amount')}
            placeholder={t('reportForm.amountPlaceholder')}
            value={d.amount}
            onChange={(e) => set('amount', e.currentTarget.value)}
            error={errorOf('amount')}
            inputMode="decimal"
            withAsterisk
            size="md"
          />
          <TextInput
            label={t('reportForm.paidAt')}
            type="datetime-local"
            value={d.paidAt}
            onChange={(e) => set('paidAt', e.currentTarget.value)}
            error={errorOf('paidAt')}
            size="md"
          />
          <NativeSelect
            label={t('reportForm.method')}
            value={d.method}
            onChange={(e) => set('method', e.currentTarget.value as PaymentMethod | '')}
            data={[
              { value: '', label: t('reportForm.methodUnknown') },
              ...PAYMENT_METHODS.map((m) => ({ value: m, label: labels.method(m) })),
            ]}
            size="md"
          />
          <Checkbox
            label={t('reportForm.ongoing')}
            checked={d.ongoing}
            onChange={(e) => set('ongoing', e.currentTarget.checked)}
            size="md"
          />
          {d.ongoing ? (
            <Alert color="red" variant="filled" data-testid="ongoing-alert">
              {t('reportForm.ongoingAlert')}
            </Alert>
          ) : null}
        </>
      ) : null}
    </Stack>
  );
}

/** Who was targeted, their age group, and a number to call back. */
function VictimFields({ draft: d, set, errorOf }: FieldsProps) {
  const { t } = useI18n();
  const labels = useReportLabels();
  return (
    <Stack gap="sm">
      <Stack gap={4}>
        <Text fw={600} size="sm" id="report-victim">
          {t('reportForm.victim')}
        </Text>
        <SegmentedControl
          aria-labelledby="report-victim"
          fullWidth
          size="md"
          value={d.victim}
          onChange={(v) => set('victim', v as Draft['victim'])}
          data={[
            { value: 'self', label: t('reportForm.victimSelf') },
            { value: 'relative', label: t('reportForm.victimRelative') },
          ]}
        />
      </Stack>
      <NativeSelect
        label={t('reportForm.ageGroup')}
        value={d.ageGroup}
        onChange={(e) => set('ageGroup', e.currentTarget.value as AgeGroup | '')}
        data={[
          { value: '', label: t('reportForm.ageUnknown') },
          ...AGE_GROUPS.map((a) => ({ value: a, label: labels.ageGroup(a) })),
        ]}
        size="md"
      />
      <TextInput
        label={t('reportForm.contactPhone')}
        description={t('reportForm.contactPhoneHint')}
        value={d.contactPhone}
        onChange={(e) => set('contactPhone', e.currentTarget.value)}
        error={errorOf('contactPhone')}
        type="tel"
        inputMode="tel"
        autoComplete="tel"
        size="md"
      />
    </Stack>
  );
}

/** The receipt code, prominently, with how to follow the report; the files' outcomes. */
function Done({
  receipt,
  ongoing,
  results,
  onAgain,
}: {
  receipt: SubmittedReport;
  ongoing: boolean;
  results: FileResult[];
  onAgain: () => void;
}) {
  const { t } = useI18n();
  const code = receipt.receiptCode;
  return (
    <Stack gap="md" data-testid="report-done">
      {ongoing ? (
        <Alert color="red" variant="filled" title={t('reportForm.ongoingAlert')} role="alert" />
      ) : null}
      <Alert color="green" variant="light" title={t('reportForm.doneTitle')} role="status">
        <Stack gap="sm">
          <Text size="sm" fw={600}>
            {t('reportForm.receiptCode')}
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
          <Text size="sm">{t('reportForm.keepCode')}</Text>
          <Button component="a" {...linkProps(`/receipt/${code}`)} size="md" fullWidth>
            {t('reportForm.followLink')}
          </Button>
        </Stack>
      </Alert>
      <FileResults results={results} />
      <Button variant="default" onClick={onAgain} size="md">
        {t('reportForm.another')}
      </Button>
    </Stack>
  );
}
