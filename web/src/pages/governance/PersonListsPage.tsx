import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  NativeSelect,
  Paper,
  Stack,
  Text,
  TextInput,
  Textarea,
  Tooltip,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import {
  api,
  CREDIT_RESTRICTIONS,
  PERSON_LISTING_STATUSES,
  PERSON_LISTS,
  type CreditRestriction,
  type PersonList,
  type PersonListing,
  type PersonListingQuery,
  type PersonListingStatus,
  type Session,
} from '../../api.ts';
import { hasRole } from '../../capabilities.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loadable } from '../../components/Loadable.tsx';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { localDay } from '../../localDay.ts';
import { linkProps, navigate } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { useApi } from '../../useApi.ts';
import { useCursorPages } from '../../useCursorPages.ts';

/** As the server: the centre's supervisors designate and change listings. */
export function mayDesignate(session: Session): boolean {
  return session.organisation.kind === 'anti_fraud_centre' && hasRole(session, 'supervisor');
}

/** As the server: exit restriction is seen by the centre's supervisors and auditors only. */
export function seesExitRestriction(session: Session): boolean {
  return session.organisation.kind === 'anti_fraud_centre' && hasRole(session, 'supervisor', 'auditor');
}

/** Labels of the lists' codes in the current language (the raw code when unknown). */
export function usePersonListLabels() {
  const { lookup } = useI18n();
  return {
    list: (l: string) => lookup(`personLists.lists.${l}`) ?? l,
    status: (s: string) => lookup(`personLists.statuses.${s}`) ?? s,
    restriction: (r: string) => lookup(`personLists.restrictionNames.${r}`) ?? r,
    removal: (k: string) => lookup(`personLists.removalKinds.${k}`) ?? k,
    action: (a: string) => lookup(`personLists.actions.${a}`) ?? a,
  };
}

const STATUS_COLOURS: Record<PersonListingStatus, string> = { active: 'red', ended: 'gray', removed: 'gray' };

export function PersonListingStatusBadge({
  listing,
}: {
  listing: Pick<PersonListing, 'status' | 'reviewDue'>;
}) {
  const { t } = useI18n();
  const labels = usePersonListLabels();
  return (
    <Group gap={4} wrap="nowrap">
      <Badge
        color={STATUS_COLOURS[listing.status] ?? 'gray'}
        variant="light"
        tt="none"
        style={{ minWidth: 'max-content' }}
        data-testid="person-listing-status"
        data-status={listing.status}
      >
        {labels.status(listing.status)}
      </Badge>
      {listing.reviewDue ? (
        <Badge color="orange" variant="filled" tt="none" style={{ minWidth: 'max-content' }}>
          {t('personLists.reviewDue')}
        </Badge>
      ) : null}
    </Group>
  );
}

/** The person as the reader may see them, with a tag when masked. */
export function PersonText({ person, size = 'sm' }: { person: PersonListing['person']; size?: 'sm' | 'lg' }) {
  const { t } = useI18n();
  return (
    <Group gap={6} wrap="wrap" data-testid="person-listing-person">
      <Text size={size} fw={size === 'lg' ? 700 : 500}>
        {person.name}
      </Text>
      <Text size={size} ff="monospace" style={{ whiteSpace: 'nowrap' }}>
        {person.idNumber}
      </Text>
      {person.masked ? (
        <Tooltip label={t('personLists.maskedHint')} multiline maw={280} withArrow>
          <Badge color="gray" variant="outline" tt="none" size="sm" style={{ minWidth: 'max-content' }}>
            {t('personLists.masked')}
          </Badge>
        </Tooltip>
      ) : null}
    </Group>
  );
}

/** A term's day in the reader's time zone, '' for none (`localDay`). */
export const dayOf = (iso: string | null) => localDay(iso, '');

interface Filters {
  list: PersonList | '';
  status: PersonListingStatus | '';
}
const ALL: Filters = { list: '', status: '' };
const PAGE = 50;

function queryOf(f: Filters): PersonListingQuery {
  return { ...(f.list ? { list: f.list } : {}), ...(f.status ? { status: f.status } : {}), limit: PAGE };
}

/** `/governance/person-lists`: the centre's lists of persons (masked), a lookup, and designation by supervisors. */
export function PersonListsPage() {
  const { t } = useI18n();
  const labels = usePersonListLabels();
  const { session } = useSession();
  const lists = PERSON_LISTS.filter((l) => l !== 'exit_restriction' || seesExitRestriction(session));
  const [draft, setDraft] = useState<Filters>(ALL);
  const [filters, setFilters] = useState<Filters>(ALL);
  const [firstPage, reload] = useApi(
    () => api.listPersonListings(queryOf(filters)),
    [filters.list, filters.status],
  );

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
  }

  return (
    <Stack gap="lg">
      <PageTitle title={t('personLists.title')} intro={t('personLists.intro')}>
        {mayDesignate(session) ? (
          <Group mt="xs">
            <DesignateDialog lists={lists} />
          </Group>
        ) : null}
      </PageTitle>
      <Group align="flex-start" gap="md" wrap="wrap">
        <Paper
          withBorder
          p="md"
          radius="md"
          component="form"
          onSubmit={apply}
          aria-label={t('personLists.filters')}
          style={{ flex: '1 1 360px' }}
        >
          <Group align="flex-end" gap="sm" wrap="wrap">
            <NativeSelect
              label={t('personLists.list')}
              value={draft.list}
              onChange={(e) => setDraft({ ...draft, list: e.currentTarget.value as Filters['list'] })}
              data={[
                { value: '', label: t('personLists.any') },
                ...lists.map((l) => ({ value: l, label: labels.list(l) })),
              ]}
            />
            <NativeSelect
              label={t('personLists.status')}
              value={draft.status}
              onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value as Filters['status'] })}
              data={[
                { value: '', label: t('personLists.any') },
                ...PERSON_LISTING_STATUSES.map((s) => ({ value: s, label: labels.status(s) })),
              ]}
            />
            <Button type="submit">{t('personLists.apply')}</Button>
          </Group>
        </Paper>
        <Lookup />
      </Group>
      <Loadable state={firstPage} onRetry={reload}>
        {(data) => (
          <Rows
            first={data}
            query={queryOf(filters)}
            empty={t(
              JSON.stringify(filters) === JSON.stringify(ALL)
                ? 'personLists.empty'
                : 'personLists.emptyFiltered',
            )}
          />
        )}
      </Loadable>
    </Stack>
  );
}

function Rows({
  first,
  query,
  empty,
}: {
  first: { items: PersonListing[]; next: string | null };
  query: PersonListingQuery;
  empty: string;
}) {
  const { t } = useI18n();
  const { items, next, busy, error, more } = useCursorPages(first, (after) =>
    api.listPersonListings({ ...query, after }),
  );

  return (
    <Stack gap="xs">
      <ListingTable rows={items} empty={empty} />
      {error ? <ErrorAlert error={error} /> : null}
      <Group justify="space-between" wrap="wrap">
        <Text size="xs" c="dimmed">
          {items.length ? t('personLists.shown', { count: items.length }) : null}
        </Text>
        {next ? (
          <Button variant="default" size="xs" onClick={() => void more()} loading={busy}>
            {t('personLists.more')}
          </Button>
        ) : null}
      </Group>
    </Stack>
  );
}

function ListingTable({ rows, empty }: { rows: PersonListing[]; empty: string }) {
  const { t } = useI18n();
  const labels = usePersonListLabels();
  const path = (l: PersonListing) => `/governance/person-lists/${l.id}`;
  return (
    <DataTable<PersonListing>
      label={t('personLists.queue')}
      rows={rows}
      empty={empty}
      minWidth={900}
      onRowClick={(l) => navigate(path(l))}
      columns={[
        {
          header: t('personLists.person'),
          cell: (l) => (
            <Anchor {...linkProps(path(l))} size="sm" underline="never">
              <PersonText person={l.person} />
            </Anchor>
          ),
        },
        { header: t('personLists.list'), cell: (l) => <Text size="sm">{labels.list(l.list)}</Text> },
        {
          header: t('personLists.restrictions'),
          cell: (l) => (
            <Text size="xs" c={l.restrictions.length ? undefined : 'dimmed'}>
              {l.restrictions.length ? l.restrictions.map(labels.restriction).join(' · ') : '—'}
            </Text>
          ),
        },
        { header: t('personLists.status'), cell: (l) => <PersonListingStatusBadge listing={l} /> },
        {
          header: t('personLists.term'),
          cell: (l) => (
            <Text size="sm" style={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}>
              {t('personLists.termText', { from: dayOf(l.startsAt), to: dayOf(l.endsAt) })}
            </Text>
          ),
        },
        { header: t('personLists.designatedBy'), cell: (l) => <Text size="sm">{l.designatedBy}</Text> },
      ]}
    />
  );
}

/** One person's listings by id number (sent in the request body, never in the address). */
function Lookup() {
  const { t } = useI18n();
  const [idNumber, setIdNumber] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [found, setFound] = useState<PersonListing[] | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!idNumber.trim()) return;
    setBusy(true);
    setError(null);
    try {
      setFound((await api.lookupPersonListings(idNumber.trim())).items);
    } catch (err) {
      setError(err);
      setFound(null);
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
      aria-label={t('personLists.lookup')}
      style={{ flex: '1 1 360px' }}
    >
      <Stack gap="sm">
        <Group align="flex-end" gap="sm" wrap="nowrap">
          <TextInput
            label={t('personLists.lookupLabel')}
            value={idNumber}
            onChange={(e) => setIdNumber(e.currentTarget.value)}
            autoComplete="off"
            style={{ flex: 1 }}
            data-testid="person-lists-lookup"
          />
          <Button type="submit" variant="light" loading={busy}>
            {t('personLists.lookupButton')}
          </Button>
        </Group>
        {error ? <ErrorAlert error={error} /> : null}
        {found && found.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('personLists.lookupNone')}
          </Text>
        ) : null}
        {found && found.length ? <ListingTable rows={found} empty="" /> : null}
      </Stack>
    </Paper>
  );
}

const DAY_MS = 86_400_000;
const SHANGHAI_MS = 8 * 3_600_000;
/**
 * A picked day as an instant, in Beijing time: midnight, or with `now`'s time of day so that an end
 * picked "six months from today" for a term starting now is exactly six months long.
 */
const toIso = (date: string, timeOf?: number) => {
  if (!date) return undefined;
  const midnight = Date.parse(`${date}T00:00:00+08:00`);
  const sinceMidnight = timeOf === undefined ? 0 : (timeOf + SHANGHAI_MS) % DAY_MS;
  return new Date(midnight + sinceMidnight).toISOString();
};

/** A supervisor's designation form; on success the new (or joined) listing opens. */
function DesignateDialog({ lists }: { lists: PersonList[] }) {
  const { t } = useI18n();
  const labels = usePersonListLabels();
  const [opened, setOpened] = useState(false);
  const [list, setList] = useState<PersonList>('credit_punishment');
  const [idNumber, setIdNumber] = useState('');
  const [name, setName] = useState('');
  const [restrictions, setRestrictions] = useState<CreditRestriction[]>([...CREDIT_RESTRICTIONS]);
  const [reason, setReason] = useState('');
  const [startsAt, setStartsAt] = useState('');
  const [endsAt, setEndsAt] = useState('');
  const [reviewAt, setReviewAt] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [joined, setJoined] = useState(false);

  function close() {
    setOpened(false);
    setError(null);
    setJoined(false);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api.designatePerson({
        list,
        idNumber: idNumber.trim(),
        name: name.trim(),
        ...(list === 'credit_punishment' ? { restrictions } : {}),
        reason: reason.trim(),
        ...(startsAt ? { startsAt: toIso(startsAt) } : {}),
        // Without a start the term starts now: the end keeps the time of day, so the term is whole months.
        endsAt: toIso(endsAt, startsAt ? undefined : Date.now()) ?? '',
        ...(list === 'exit_restriction' && reviewAt ? { reviewAt: toIso(reviewAt) } : {}),
      });
      if (r.outcome !== 'created') {
        setJoined(true);
        window.setTimeout(() => navigate(`/governance/person-lists/${r.listing.id}`), 1200);
      } else {
        navigate(`/governance/person-lists/${r.listing.id}`);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <Button size="compact-sm" onClick={() => setOpened(true)} data-testid="person-lists-designate">
        {t('personLists.designate')}
      </Button>
      <Modal opened={opened} onClose={close} title={t('personLists.designateTitle')} size="lg" centered>
        <form onSubmit={submit} noValidate>
          <Stack gap="sm">
            <Text size="sm">{t('personLists.designateBody')}</Text>
            {error ? <ErrorAlert error={error} /> : null}
            {joined ? (
              <Alert color="blue" variant="light">
                {t('personLists.joinedNotice')}
              </Alert>
            ) : null}
            <NativeSelect
              label={t('personLists.list')}
              value={list}
              onChange={(e) => setList(e.currentTarget.value as PersonList)}
              data={lists.map((l) => ({ value: l, label: labels.list(l) }))}
            />
            <Group grow align="flex-start">
              <TextInput
                label={t('personLists.idNumber')}
                description={t('personLists.idNumberHint')}
                value={idNumber}
                onChange={(e) => setIdNumber(e.currentTarget.value)}
                autoComplete="off"
                required
              />
              <TextInput
                label={t('personLists.name')}
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
                autoComplete="off"
                required
              />
            </Group>
            {list === 'credit_punishment' ? (
              <Checkbox.Group
                label={t('personLists.restrictions')}
                description={t('personLists.basicServices')}
                value={restrictions}
                onChange={(v) => setRestrictions(v as CreditRestriction[])}
              >
                <Group gap="md" mt={4}>
                  {CREDIT_RESTRICTIONS.map((r) => (
                    <Checkbox key={r} value={r} label={labels.restriction(r)} />
                  ))}
                </Group>
              </Checkbox.Group>
            ) : null}
            <Textarea
              label={t('personLists.reason')}
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
              autosize
              minRows={2}
              maxLength={2000}
              required
            />
            <Group grow align="flex-start">
              <TextInput
                type="date"
                label={t('personLists.startsAt')}
                value={startsAt}
                onChange={(e) => setStartsAt(e.currentTarget.value)}
              />
              <TextInput
                type="date"
                label={t('personLists.endsAt')}
                description={t('personLists.termHint')}
                value={endsAt}
                onChange={(e) => setEndsAt(e.currentTarget.value)}
                required
              />
              {list === 'exit_restriction' ? (
                <TextInput
                  type="date"
                  label={t('personLists.reviewAt')}
                  value={reviewAt}
                  onChange={(e) => setReviewAt(e.currentTarget.value)}
                />
              ) : null}
            </Group>
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" color="red" loading={busy}>
                {t('personLists.designateConfirm')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
