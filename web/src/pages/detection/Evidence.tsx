import { Stack, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useI18n, type I18n } from '../../i18n/index.tsx';
import { money } from '../reports/reportLabels.tsx';
import { isDetector, useDetectionLabels } from './labels.tsx';

type Labels = ReturnType<typeof useDetectionLabels>;
interface Fmt {
  i18n: I18n;
  labels: Labels;
}

/** Amounts in the evidence are minor units (fen, cents): docs/formats.md, "Transactions". */
const MINOR_UNITS = new Set(['inflow', 'outflow', 'amount']);
const isShare = (key: string) => /(Share|Ratio)$/.test(key) || key === 'passThrough';
/** Epoch milliseconds after 2001: a time, not a count. */
const isTime = (key: string, n: number) => (key === 'at' || /At$/.test(key)) && n > 1e12;

function number(key: string, n: number, { i18n }: Fmt): string {
  if (MINOR_UNITS.has(key)) return money(String(n / 100), i18n.lang);
  if (isShare(key) && n >= 0 && n <= 1) return `${Math.round(n * 100)}%`;
  if (isTime(key, n)) return i18n.dateTime(new Date(n).toISOString());
  return new Intl.NumberFormat(i18n.lang, { maximumFractionDigits: 2 }).format(n);
}

/** One value in one line: nested objects as `label: value · …`, lists comma-separated. */
function inline(key: string, v: unknown, f: Fmt): string {
  if (v === null || v === undefined) return f.i18n.t('common.none');
  if (typeof v === 'boolean') return f.i18n.t(v ? 'common.yes' : 'common.no');
  if (typeof v === 'number') return number(key, v, f);
  if (typeof v === 'string') return isDetector(v) ? f.labels.detector(v) : v;
  if (Array.isArray(v)) return v.map((x) => inline(key, x, f)).join(', ');
  if (typeof v === 'object')
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${f.labels.evidenceKey(k)}: ${inline(k, x, f)}`)
      .join(' · ');
  return String(v);
}

/** An object's fields one per line, `label: value`. */
function Fields({ v, f }: { v: Record<string, unknown>; f: Fmt }) {
  return (
    <Stack gap={0}>
      {Object.entries(v).map(([key, x]) => (
        <Text key={key} size="sm" style={{ wordBreak: 'break-word' }}>
          <Text span size="sm" c="dimmed">
            {f.labels.evidenceKey(key)}:
          </Text>{' '}
          {inline(key, x, f)}
        </Text>
      ))}
      {Object.keys(v).length ? null : f.i18n.t('common.none')}
    </Stack>
  );
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && !Array.isArray(x);

/** A value cell: an object one field per line, a list of objects (calls) one block each, else inline. */
function value(key: string, v: unknown, f: Fmt): ReactNode {
  if (isObject(v)) return <Fields v={v} f={f} />;
  if (Array.isArray(v) && v.some(isObject)) {
    return (
      <Stack gap={6}>
        {v.map((x, i) =>
          isObject(x) ? (
            <div
              key={i}
              style={{
                borderLeft: '2px solid var(--mantine-color-gray-3)',
                paddingLeft: 'var(--mantine-spacing-xs)',
              }}
            >
              <Fields v={x} f={f} />
            </div>
          ) : (
            <Text key={i} size="sm">
              {inline(key, x, f)}
            </Text>
          ),
        )}
      </Stack>
    );
  }
  return (
    <Text size="sm" style={{ wordBreak: 'break-word' }}>
      {inline(key, v, f)}
    </Text>
  );
}

/** The facts that fired a detection, as label: value rows (they differ per detector). */
export function EvidenceList({ evidence }: { evidence: Record<string, unknown> }) {
  const i18n = useI18n();
  const labels = useDetectionLabels();
  const f = { i18n, labels };
  const entries = Object.entries(evidence);
  if (!entries.length)
    return (
      <Text size="sm" c="dimmed">
        {i18n.t('detection.noEvidence')}
      </Text>
    );
  return (
    <Table
      withTableBorder
      verticalSpacing={6}
      aria-label={i18n.t('detection.evidence')}
      data-testid="detection-evidence"
    >
      <Table.Tbody>
        {entries.map(([k, v]) => (
          <Table.Tr key={k} data-key={k}>
            <Table.Th
              scope="row"
              w="40%"
              fw={500}
              c="dimmed"
              style={{ verticalAlign: 'top', fontSize: 'var(--mantine-font-size-sm)' }}
              title={k}
            >
              {labels.evidenceKey(k)}
            </Table.Th>
            <Table.Td>{value(k, v, f)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
