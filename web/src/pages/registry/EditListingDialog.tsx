import {
  Button,
  Group,
  Modal,
  NativeSelect,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import {
  api,
  CHANGE_STATUSES,
  SCAM_CATEGORIES,
  type ChangeStatus,
  type Listing,
  type ScamCategory,
} from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useLabels } from './labels.tsx';

type ExpiryMode = 'keep' | 'date' | 'never';

/** An ISO time as the value of a `datetime-local` input, in the browser's time zone. */
function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/**
 * Changes a listing's category, expiry or status (PATCH /v1/listings/:id), with a required reason.
 * Only what differs from the listing is sent; confidence and evidence follow the sources, so they
 * are not edited here.
 */
export function EditListingDialog({ listing: l, onDone }: { listing: Listing; onDone: () => void }) {
  const { t } = useI18n();
  const labels = useLabels();
  const [opened, setOpened] = useState(false);
  const [category, setCategory] = useState<ScamCategory>(l.category);
  const [status, setStatus] = useState<ChangeStatus | ''>('');
  const [expiryMode, setExpiryMode] = useState<ExpiryMode>('keep');
  const [expiry, setExpiry] = useState(toLocalInput(l.expiresAt));
  const [reason, setReason] = useState('');
  const [invalid, setInvalid] = useState<'reasonRequired' | 'expiryRequired' | 'nothingChanged' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  function open() {
    setCategory(l.category);
    setStatus('');
    setExpiryMode('keep');
    setExpiry(toLocalInput(l.expiresAt));
    setReason('');
    setInvalid(null);
    setError(null);
    setOpened(true);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const change: { category?: ScamCategory; status?: ChangeStatus; expiresAt?: string | null } = {};
    if (category !== l.category) change.category = category;
    if (status && status !== l.status) change.status = status;
    if (expiryMode === 'never' && l.expiresAt !== null) change.expiresAt = null;
    const when = expiryMode === 'date' && expiry ? new Date(expiry) : null;
    if (when && !Number.isNaN(when.getTime())) change.expiresAt = when.toISOString();
    const problem =
      expiryMode === 'date' && !when
        ? 'expiryRequired'
        : Object.keys(change).length === 0
          ? 'nothingChanged'
          : !reason.trim()
            ? 'reasonRequired'
            : null;
    setInvalid(problem);
    if (problem) return;
    setBusy(true);
    try {
      await api.changeListing(l.id, { ...change, reason: reason.trim() });
      setOpened(false);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <Button size="compact-sm" variant="light" onClick={open}>
        {t('listingEdit.button')}
      </Button>
      <Modal
        opened={opened}
        onClose={() => setOpened(false)}
        title={t('listingEdit.title')}
        closeButtonProps={{ 'aria-label': t('common.close') }}
        centered
        size="lg"
      >
        <form onSubmit={submit} noValidate>
          <Stack>
            <Text size="sm">{t('listingEdit.body', { value: l.value })}</Text>
            {error ? <ErrorAlert error={error} /> : null}
            {invalid === 'nothingChanged' ? (
              <Text size="sm" c="red" role="alert">
                {t('listingEdit.nothingChanged')}
              </Text>
            ) : null}
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
              <NativeSelect
                label={t('registry.category')}
                value={category}
                onChange={(e) => setCategory(e.currentTarget.value as ScamCategory)}
                data={SCAM_CATEGORIES.map((c) => ({ value: c, label: labels.category(c) }))}
              />
              <NativeSelect
                label={t('registry.status')}
                value={status}
                onChange={(e) => setStatus(e.currentTarget.value as ChangeStatus | '')}
                data={[
                  { value: '', label: t('listingEdit.keepStatus', { status: labels.status(l.status) }) },
                  ...CHANGE_STATUSES.filter((s) => s !== l.status).map((s) => ({
                    value: s,
                    label: labels.status(s),
                  })),
                ]}
              />
              <NativeSelect
                label={t('registry.expiresAt')}
                value={expiryMode}
                onChange={(e) => setExpiryMode(e.currentTarget.value as ExpiryMode)}
                data={[
                  { value: 'keep', label: t('listingEdit.expiryKeep') },
                  { value: 'date', label: t('listingEdit.expiryDate') },
                  { value: 'never', label: t('registry.neverExpires') },
                ]}
              />
              {expiryMode === 'date' ? (
                <TextInput
                  type="datetime-local"
                  label={t('listingEdit.expiryAt')}
                  value={expiry}
                  min={toLocalInput(new Date().toISOString())}
                  onChange={(e) => setExpiry(e.currentTarget.value)}
                  error={invalid === 'expiryRequired' ? t('listingEdit.expiryRequired') : undefined}
                />
              ) : null}
            </SimpleGrid>
            <Textarea
              label={t('registry.reasonLabel')}
              placeholder={t('listingEdit.reasonPlaceholder')}
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
              error={invalid === 'reasonRequired' ? t('registry.reasonRequired') : undefined}
              autosize
              minRows={2}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setOpened(false)}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" loading={busy}>
                {t('listingEdit.save')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
