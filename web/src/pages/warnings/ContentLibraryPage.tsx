import { Badge, Button, Group, NativeSelect, Paper, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { asApiError, SCAM_CATEGORIES } from '../../api.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { looksLikeLink, smsLimit } from './helpers.ts';
import { mayEditContent, StaleAlert, useWarningLabels } from './labels.tsx';
import {
  AUDIENCES,
  CONTENT_CHANNELS,
  CONTENT_LANGUAGES,
  warningsApi,
  type ContentItem,
  type ContentQuery,
} from './types.ts';

type Filters = Required<{ [K in keyof ContentQuery]: NonNullable<ContentQuery[K]> | '' }>;
const ALL: Filters = { scamType: '', audience: '', channel: '', language: '' };

/**
 * `/warnings/content`: the texts warnings send and operators read, by scam type, audience,
 * channel and language; supervisors edit them (the API refuses a link in an SMS or push body,
 * and a stale version).
 */
export function ContentLibraryPage() {
  const { t } = useI18n();
  const labels = useWarningLabels();
  const [filters, setFilters] = useState<Filters>(ALL);
  const [list, reload] = useApi(
    () => warningsApi.listContent(filters as ContentQuery),
    [filters.scamType, filters.audience, filters.channel, filters.language],
  );
  const set = (k: keyof Filters) => (e: { currentTarget: { value: string } }) =>
    setFilters({ ...filters, [k]: e.currentTarget.value });
  const any = { value: '', label: t('warnings.content.any') };

  return (
    <Stack gap="lg">
      <PageTitle title={t('warnings.content.title')} intro={t('warnings.content.intro')} />
      <Paper withBorder p="md" radius="md" role="form" aria-label={t('warnings.content.filters')}>
        <Group align="flex-end" gap="sm" wrap="wrap">
          <NativeSelect
            label={t('warnings.content.scamType')}
            value={filters.scamType}
            onChange={set('scamType')}
            data={[
              any,
              ...[...SCAM_CATEGORIES, 'general'].map((c) => ({ value: c, label: labels.scamType(c) })),
            ]}
          />
          <NativeSelect
            label={t('warnings.content.audience')}
            value={filters.audience}
            onChange={set('audience')}
            data={[any, ...AUDIENCES.map((a) => ({ value: a, label: labels.audience(a) }))]}
          />
          <NativeSelect
            label={t('warnings.content.channel')}
            value={filters.channel}
            onChange={set('channel')}
            data={[any, ...CONTENT_CHANNELS.map((c) => ({ value: c, label: labels.contentChannel(c) }))]}
          />
          <NativeSelect
            label={t('warnings.content.language')}
            value={filters.language}
            onChange={set('language')}
            data={[any, ...CONTENT_LANGUAGES.map((l) => ({ value: l, label: labels.language(l) }))]}
          />
        </Group>
      </Paper>
      <Loadable state={list} onRetry={reload}>
        {(data) =>
          data.items.length ? (
            <Stack gap="sm" data-testid="content-items">
              {data.items.map((item) => (
                <ContentCard key={item.id} initial={item} onReload={reload} />
              ))}
            </Stack>
          ) : (
            <Text c="dimmed" size="sm" ta="center" py="md">
              {t('warnings.content.empty')}
            </Text>
          )
        }
      </Loadable>
    </Stack>
  );
}

function ContentCard({ initial, onReload }: { initial: ContentItem; onReload: () => void }) {
  const { t, dateTime } = useI18n();
  const labels = useWarningLabels();
  const { session } = useSession();
  const [item, setItem] = useState(initial);
  const [editing, setEditing] = useState(false);
  // Reloaded (after a conflict, say): the latest version, not being edited.
  useEffect(() => {
    setItem(initial);
    setEditing(false);
  }, [initial]);
  const [saved, setSaved] = useState<number | null>(null);

  return (
    <Paper withBorder p="md" radius="md" data-testid="content-item" data-id={item.id}>
      <Stack gap="xs">
        <Group justify="space-between" gap="sm" wrap="wrap">
          <Group gap={6} wrap="wrap">
            <Text fw={700}>{item.title}</Text>
            <Badge variant="light" tt="none">
              {labels.scamType(item.scamType)}
            </Badge>
            <Badge variant="light" color="grape" tt="none">
              {labels.audience(item.audience)}
            </Badge>
            <Badge variant="outline" color="gray" tt="none">
              {labels.contentChannel(item.channel)}
            </Badge>
            <Badge variant="outline" color="gray" tt="none">
              {labels.language(item.language)}
            </Badge>
          </Group>
          {mayEditContent(session) && !editing ? (
            <Button size="compact-sm" variant="default" onClick={() => setEditing(true)}>
              {t('warnings.content.edit')}
            </Button>
          ) : null}
        </Group>
        {editing ? (
          <EditContent
            item={item}
            onCancel={() => setEditing(false)}
            onSaved={(next) => {
              setItem(next);
              setSaved(next.version);
              setEditing(false);
            }}
            onReload={onReload}
          />
        ) : (
          <Text
            size="sm"
            style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}
            data-testid="content-body"
          >
            {item.body}
          </Text>
        )}
        <Text size="xs" c="dimmed">
          {t('warnings.content.version', { version: item.version })} ·{' '}
          {t('warnings.content.updated', {
            at: dateTime(item.updatedAt),
            name: item.updatedBy ?? t('common.none'),
          })}
          {saved === item.version ? ` · ${t('warnings.content.saved', { version: item.version })}` : ''}
        </Text>
      </Stack>
    </Paper>
  );
}

function EditContent({
  item,
  onCancel,
  onSaved,
  onReload,
}: {
  item: ContentItem;
  onCancel: () => void;
  onSaved: (item: ContentItem) => void;
  onReload: () => void;
}) {
  const { t } = useI18n();
  const [title, setTitle] = useState(item.title);
  const [body, setBody] = useState(item.body);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [stale, setStale] = useState(false);
  // SMS and push go to a phone's lock screen: one SMS's length, and never a link.
  const short = item.channel === 'sms' || item.channel === 'app_push';
  const limit = smsLimit(item.language);
  const length = [...body].length;

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSaved(await warningsApi.updateContent(item.id, { title, body, version: item.version }));
    } catch (err) {
      if (asApiError(err).status === 409) setStale(true);
      else setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack gap="sm" component="form" onSubmit={save} aria-label={t('warnings.content.edit')}>
      <TextInput
        label={t('warnings.content.titleLabel')}
        value={title}
        required
        onChange={(e) => setTitle(e.currentTarget.value)}
      />
      <Textarea
        label={t('warnings.content.body')}
        value={body}
        required
        autosize
        minRows={short ? 2 : 6}
        onChange={(e) => setBody(e.currentTarget.value)}
        description={
          short ? (
            <Text span size="xs" c={length > limit ? 'orange' : 'dimmed'}>
              {length > limit
                ? t('warnings.content.lengthOver', { count: length, limit })
                : t('warnings.content.length', { count: length })}
            </Text>
          ) : undefined
        }
      />
      {short && looksLikeLink(body) ? (
        <Text size="sm" c="orange" data-testid="content-link-hint">
          {t('warnings.content.linkHint')}
        </Text>
      ) : null}
      {stale ? (
        <StaleAlert message={t('warnings.content.stale')} onReload={onReload} testId="content-conflict" />
      ) : null}
      {error ? <ErrorAlert error={error} /> : null}
      <Group gap="sm">
        <Button type="submit" loading={busy} disabled={stale}>
          {t('warnings.content.save')}
        </Button>
        <Button variant="default" onClick={onCancel}>
          {t('common.cancel')}
        </Button>
      </Group>
    </Stack>
  );
}
