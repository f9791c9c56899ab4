import {
  Alert,
  Button,
  Group,
  List,
  Modal,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, type Brand, type LookalikeCheck } from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { RegistryTabs, useLabels } from './labels.tsx';

/** Domains as typed: one per line, or separated by commas or spaces. */
const splitDomains = (text: string) =>
  text
    .split(/[\s,;，；、]+/)
    .map((d) => d.trim())
    .filter(Boolean);

/**
 * `/registry/brands`: protected brands and their official domains (look-alikes of them are flagged).
 * Supervisors and administrators change them; analysts and supervisors try a domain against them.
 */
export function BrandsPage() {
  const { t } = useI18n();
  const { session } = useSession();
  // As the server's routes: PUT/DELETE for supervisors and administrators, the check for
  // analysts and supervisors; the centre's staff read.
  const canWrite = hasRole(session, 'supervisor', 'administrator');
  const canCheck = hasRole(session, 'analyst', 'supervisor');
  const [brands, reload] = useApi(() => api.listBrands(), []);

  return (
    <Stack gap="lg">
      <PageTitle title={t('registry.title')} intro={t('brands.intro')} />
      <RegistryTabs />
      {canCheck ? <LookalikeBox /> : null}
      {canWrite ? (
        <AddForm existing={brands.status === 'ready' ? brands.data.items : []} onAdded={reload} />
      ) : (
        <Alert color="gray" variant="light">
          {t('brands.readOnly')}
        </Alert>
      )}
      <Loadable state={brands} onRetry={reload}>
        {(data) => (
          <DataTable<Brand & { id: string }>
            label={t('brands.title')}
            rows={data.items.map((b) => ({ ...b, id: b.brand }))}
            minWidth={canWrite ? 640 : 480}
            columns={[
              { header: t('brands.brand'), cell: (b) => b.brand },
              {
                header: t('brands.domains'),
                cell: (b) => <span style={{ wordBreak: 'break-all' }}>{b.domains.join(', ')}</span>,
              },
              ...(canWrite
                ? [
                    {
                      header: t('allowlist.actions'),
                      cell: (b: Brand) => (
                        <Group gap="xs" wrap="nowrap">
                          <EditDomains brand={b} onDone={reload} />
                          <RemoveBrand brand={b.brand} onDone={reload} />
                        </Group>
                      ),
                    },
                  ]
                : []),
            ]}
          />
        )}
      </Loadable>
    </Stack>
  );
}

/** "Try a domain": which protected brands a domain or link imitates, and how. */
function LookalikeBox() {
  const { t } = useI18n();
  const labels = useLabels();
  const [value, setValue] = useState('');
  const [invalid, setInvalid] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<LookalikeCheck | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setResult(null);
    setInvalid(!value.trim());
    if (!value.trim()) return;
    setBusy(true);
    try {
      setResult(await api.checkLookalike(value.trim()));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const host =
    result && result.unicodeHost !== result.host ? `${result.unicodeHost} (${result.host})` : result?.host;
  return (
    <Paper withBorder p="md" radius="md" component="form" onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Title order={3} size="h4">
          {t('brands.checkTitle')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('brands.checkIntro')}
        </Text>
        {error ? <ErrorAlert error={error} /> : null}
        <Group align="flex-start" gap="sm" wrap="wrap">
          <TextInput
            label={t('brands.checkLabel')}
            placeholder={t('brands.checkPlaceholder')}
            value={value}
            onChange={(e) => setValue(e.currentTarget.value)}
            error={invalid ? t('brands.checkRequired') : undefined}
            miw={240}
            style={{ flex: 1 }}
          />
          <Button type="submit" loading={busy} mt={25}>
            {t('brands.check')}
          </Button>
        </Group>
        {result ? (
          result.matches.length ? (
            <Alert
              color="orange"
              variant="light"
              title={t('brands.imitates', { host: host ?? '' })}
              data-testid="lookalike-result"
              data-lookalike="yes"
            >
              <List size="sm">
                {result.matches.map((m) => (
                  <List.Item key={`${m.brand}|${m.domain}`}>
                    {t('registry.lookalike', { brand: m.brand, domain: m.domain })}
                    {' · '}
                    {labels.lookalikeReason(m.reason)}
                    {m.distance !== undefined ? ` (${t('brands.distance', { distance: m.distance })})` : ''}
                  </List.Item>
                ))}
              </List>
            </Alert>
          ) : (
            <Alert color="green" variant="light" data-testid="lookalike-result" data-lookalike="no">
              {t('brands.noMatch', { host: host ?? '' })}
            </Alert>
          )
        ) : null}
      </Stack>
    </Paper>
  );
}

function AddForm({ existing, onAdded }: { existing: Brand[]; onAdded: () => void }) {
  const { t } = useI18n();
  const [brand, setBrand] = useState('');
  const [domains, setDomains] = useState('');
  const [invalid, setInvalid] = useState<'brandRequired' | 'brandExists' | 'domainsRequired' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [added, setAdded] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setAdded(null);
    const name = brand.trim();
    const list = splitDomains(domains);
    const problem = !name
      ? 'brandRequired'
      : existing.some((b) => b.brand.toLowerCase() === name.toLowerCase())
        ? 'brandExists'
        : list.length === 0
          ? 'domainsRequired'
          : null;
    setInvalid(problem);
    if (problem) return;
    setBusy(true);
    try {
      const b = await api.putBrand(name, list);
      setAdded(b.brand);
      setBrand('');
      setDomains('');
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="md" radius="md" component="form" onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Title order={3} size="h4">
          {t('brands.addTitle')}
        </Title>
        {error ? <ErrorAlert error={error} /> : null}
        {added ? (
          <Alert color="green" variant="light">
            {t('brands.added', { brand: added })}
          </Alert>
        ) : null}
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          <TextInput
            label={t('brands.brand')}
            placeholder={t('brands.brandPlaceholder')}
            value={brand}
            onChange={(e) => setBrand(e.currentTarget.value)}
            error={
              invalid === 'brandRequired'
                ? t('brands.brandRequired')
                : invalid === 'brandExists'
                  ? t('brands.brandExists')
                  : undefined
            }
          />
          <Textarea
            label={t('brands.domains')}
            placeholder={t('brands.domainsPlaceholder')}
            value={domains}
            onChange={(e) => setDomains(e.currentTarget.value)}
            error={invalid === 'domainsRequired' ? t('brands.domainsRequired') : undefined}
            autosize
            minRows={1}
          />
        </SimpleGrid>
        <Group>
          <Button type="submit" loading={busy}>
            {t('brands.add')}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

/** Replaces a brand's official domains (PUT with the same name). */
function EditDomains({ brand: b, onDone }: { brand: Brand; onDone: () => void }) {
  const { t } = useI18n();
  const [opened, setOpened] = useState(false);
  const [domains, setDomains] = useState('');
  const [invalid, setInvalid] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  function open() {
    setDomains(b.domains.join('\n'));
    setInvalid(false);
    setError(null);
    setOpened(true);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const list = splitDomains(domains);
    setInvalid(list.length === 0);
    if (list.length === 0) return;
    setBusy(true);
    try {
      await api.putBrand(b.brand, list);
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
        {t('brands.edit')}
      </Button>
      <Modal
        opened={opened}
        onClose={() => setOpened(false)}
        title={t('brands.editTitle', { brand: b.brand })}
        closeButtonProps={{ 'aria-label': t('common.close') }}
        centered
      >
        <form onSubmit={submit} noValidate>
          <Stack>
            {error ? <ErrorAlert error={error} /> : null}
            <Textarea
              label={t('brands.domains')}
              placeholder={t('brands.domainsPlaceholder')}
              value={domains}
              onChange={(e) => setDomains(e.currentTarget.value)}
              error={invalid ? t('brands.domainsRequired') : undefined}
              autosize
              minRows={2}
              data-autofocus
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setOpened(false)}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" loading={busy}>
                {t('brands.save')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

function RemoveBrand({ brand, onDone }: { brand: string; onDone: () => void }) {
  const { t } = useI18n();
  const [opened, setOpened] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function confirm() {
    setError(null);
    setBusy(true);
    try {
      await api.removeBrand(brand);
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
      <Button
        size="compact-sm"
        color="red"
        variant="light"
        onClick={() => {
          setError(null);
          setOpened(true);
        }}
      >
        {t('brands.remove')}
      </Button>
      <Modal
        opened={opened}
        onClose={() => setOpened(false)}
        title={t('brands.removeTitle')}
        closeButtonProps={{ 'aria-label': t('common.close') }}
        centered
      >
        <Stack>
          <Text size="sm">{t('brands.removeBody', { brand })}</Text>
          {error ? <ErrorAlert error={error} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpened(false)}>
              {t('common.cancel')}
            </Button>
            <Button color="red" loading={busy} onClick={() => void confirm()}>
              {t('brands.removeConfirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
