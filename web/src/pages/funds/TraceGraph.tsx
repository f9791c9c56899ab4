import { Badge, Box, Group, Paper, SimpleGrid, Stack, Text } from '@mantine/core';
import { useMemo, useState } from 'react';
import { DataTable } from '../../components/DataTable.tsx';
import { Field } from '../../components/Field.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { fen, fenShort } from './labels.tsx';
import { holdingsByVictim, layoutTrace, type LayoutNode } from './traceLayout.ts';
import type { CaseTrace, FundVictim } from './types.ts';

const MAX_ACCOUNT_CHARS = 22;
const short = (s: string) => (s.length > MAX_ACCOUNT_CHARS ? `…${s.slice(-(MAX_ACCOUNT_CHARS - 1))}` : s);

/** Colours of a node by what it is and what is on it: frozen money stands out, cash-outs are red. */
function paint(n: LayoutNode): { fill: string; stroke: string; width: number } {
  if (n.kind === 'cashOut') return { fill: '#fff5f5', stroke: '#e03131', width: 2 };
  if (n.kind === 'victim') return { fill: '#f1f3f5', stroke: '#868e96', width: 1 };
  if (n.frozen > 0) return { fill: '#e7f5ff', stroke: '#1971c2', width: 3 };
  if (n.stopped > 0) return { fill: '#fff9db', stroke: '#f08c00', width: 2 };
  if (n.held > 0) return { fill: '#ffffff', stroke: '#495057', width: 1.5 };
  return { fill: '#ffffff', stroke: '#ced4da', width: 1 };
}

/**
 * The trace drawn: columns by hop (victims' accounts at the left), accounts with the traced money
 * they hold and what is frozen or stopped there, transfers with the traced money they carried,
 * cash-outs in red at the ends. Scrolls both ways for large traces; hovering or clicking an account
 * shows whose money it holds.
 */
export function TraceGraph({
  trace,
  victims,
  victimAccounts,
  institutionNames = {},
}: {
  trace: CaseTrace;
  victims: readonly FundVictim[];
  victimAccounts: readonly string[];
  /** banks' names by id, where the case knows them */
  institutionNames?: Record<string, string>;
}) {
  const { t, lang } = useI18n();
  const layout = useMemo(
    () => layoutTrace({ accounts: trace.accounts, edges: trace.edges, victimAccounts }),
    [trace, victimAccounts],
  );
  const [hovered, setHovered] = useState<string | null>(null);
  const [pinned, setPinned] = useState<string | null>(null);
  const focus = hovered ?? pinned;
  const chosen = layout.nodes.find((n) => n.id === focus) ?? null;
  const nodeLabel = (n: LayoutNode) =>
    n.kind === 'cashOut'
      ? `${t(`funds.cashOut.${n.channel === 'atm' || n.channel === 'counter' ? n.channel : 'abroad'}`)}`
      : short(n.account);

  if (!layout.nodes.length)
    return (
      <Text size="sm" c="dimmed">
        {t('funds.traceEmpty')}
      </Text>
    );

  return (
    <Stack gap="sm">
      <Group gap="xs" wrap="wrap">
        <Legend fill="#e7f5ff" stroke="#1971c2" label={t('funds.legendFrozen')} />
        <Legend fill="#fff9db" stroke="#f08c00" label={t('funds.legendStopped')} />
        <Legend fill="#fff5f5" stroke="#e03131" label={t('funds.legendCashOut')} />
        <Legend fill="#f1f3f5" stroke="#868e96" label={t('funds.legendVictim')} />
      </Group>
      <Box
        style={{
          overflow: 'auto',
          maxHeight: 640,
          border: '1px solid var(--mantine-color-gray-3)',
          borderRadius: 8,
        }}
        data-testid="trace-scroll"
      >
        <svg
          width={layout.width}
          height={layout.height}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          role="img"
          aria-label={t('funds.traceGraph')}
          data-testid="trace-graph"
          style={{ display: 'block', fontFamily: 'var(--mantine-font-family)' }}
          onClick={() => setPinned(null)}
        >
          <defs>
            <marker
              id="trace-arrow"
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="9"
              markerHeight="9"
              markerUnits="userSpaceOnUse"
              orient="auto"
            >
              <path d="M 0 0 L 10 5 L 0 10 z" fill="#868e96" />
            </marker>
            <marker
              id="trace-arrow-red"
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="9"
              markerHeight="9"
              markerUnits="userSpaceOnUse"
              orient="auto"
            >
              <path d="M 0 0 L 10 5 L 0 10 z" fill="#e03131" />
            </marker>
          </defs>
          {layout.columns.map((c) => (
            <text key={c.column} x={c.x} y={24} fontSize={12} fontWeight={600} fill="#495057">
              {c.depth === 0 ? t('funds.columnVictims') : t('funds.columnHop', { hop: c.depth })}
            </text>
          ))}
          {layout.edges.map((e) => {
            const lit = focus !== null && (e.from === focus || e.to === focus);
            const dim = focus !== null && !lit;
            const width = Math.min(6, 1 + Math.log10(1 + e.traced / 10_000) * 2);
            return (
              <g
                key={e.id}
                data-testid="trace-edge"
                data-from={e.from}
                data-to={e.to}
                data-traced={e.traced}
                opacity={dim ? 0.25 : 1}
              >
                <title>
                  {t('funds.edgeTitle', {
                    traced: fen(e.traced, lang),
                    amount: fen(e.amount, lang),
                    count: e.txnIds.length,
                  })}
                </title>
                <path
                  d={e.path}
                  fill="none"
                  stroke={e.cashOut ? '#e03131' : lit ? '#1971c2' : '#adb5bd'}
                  strokeWidth={width}
                  strokeDasharray={e.back ? '5 4' : undefined}
                  markerEnd={e.cashOut ? 'url(#trace-arrow-red)' : 'url(#trace-arrow)'}
                />
                <text
                  x={e.labelX}
                  y={e.labelY - 4}
                  textAnchor="middle"
                  fontSize={11}
                  fill={e.cashOut ? '#c92a2a' : '#343a40'}
                  stroke="#ffffff"
                  strokeWidth={3}
                  paintOrder="stroke"
                  data-testid="trace-edge-amount"
                >
                  {fenShort(e.traced, lang)}
                </text>
              </g>
            );
          })}
          {layout.nodes.map((n) => {
            const p = paint(n);
            const lines: { text: string; colour: string; bold?: boolean }[] = [];
            if (n.kind === 'cashOut') {
              lines.push({ text: fenShort(n.received, lang), colour: '#c92a2a', bold: true });
              if (n.channel === 'abroad') lines.push({ text: short(n.account), colour: '#c92a2a' });
            } else if (n.kind === 'victim') {
              lines.push({ text: t('funds.victimAccount'), colour: '#868e96' });
            } else {
              lines.push({
                text: t('funds.nodeHeld', { amount: fenShort(n.held, lang) }),
                colour: '#212529',
                bold: n.held > 0,
              });
              if (n.frozen > 0)
                lines.push({
                  text: t('funds.nodeFrozen', { amount: fenShort(n.frozen, lang) }),
                  colour: '#1864ab',
                  bold: true,
                });
              else if (n.stopped > 0)
                lines.push({
                  text: t('funds.nodeStopped', { amount: fenShort(n.stopped, lang) }),
                  colour: '#d9480f',
                  bold: true,
                });
            }
            return (
              <g
                key={n.id}
                transform={`translate(${n.x} ${n.y})`}
                tabIndex={0}
                role="button"
                aria-label={`${nodeLabel(n)} ${lines.map((l) => l.text).join(' ')}`}
                data-testid="trace-node"
                // a cash-out's account is the one the money left from: its own attribute
                data-account={n.kind === 'cashOut' ? undefined : n.account}
                data-from={n.kind === 'cashOut' ? n.account : undefined}
                data-channel={n.channel ?? undefined}
                data-kind={n.kind}
                data-held={n.held}
                data-frozen={n.frozen}
                data-stopped={n.stopped}
                style={{ cursor: 'pointer', outline: 'none' }}
                onMouseEnter={() => setHovered(n.id)}
                onMouseLeave={() => setHovered(null)}
                onFocus={() => setHovered(n.id)}
                onBlur={() => setHovered(null)}
                onClick={(ev) => {
                  ev.stopPropagation();
                  setPinned(pinned === n.id ? null : n.id);
                }}
              >
                <title>{n.account}</title>
                <rect
                  width={n.width}
                  height={n.height}
                  rx={6}
                  fill={p.fill}
                  stroke={focus === n.id ? '#1c7ed6' : p.stroke}
                  strokeWidth={focus === n.id ? Math.max(p.width, 2.5) : p.width}
                />
                <text
                  x={8}
                  y={17}
                  fontSize={12}
                  fontWeight={600}
                  fill={n.kind === 'cashOut' ? '#c92a2a' : '#212529'}
                  fontFamily="monospace"
                >
                  {nodeLabel(n)}
                </text>
                {lines.map((l, i) => (
                  <text
                    key={i}
                    x={8}
                    y={34 + i * 15}
                    fontSize={11}
                    fontWeight={l.bold ? 600 : 400}
                    fill={l.colour}
                  >
                    {l.text}
                  </text>
                ))}
              </g>
            );
          })}
        </svg>
      </Box>
      <NodeDetail
        node={chosen}
        victims={victims}
        pinned={pinned !== null && pinned === focus}
        institutionNames={institutionNames}
      />
    </Stack>
  );
}

function Legend({ fill, stroke, label }: { fill: string; stroke: string; label: string }) {
  return (
    <Group gap={4} wrap="nowrap">
      <svg width={14} height={14} aria-hidden>
        <rect x={1} y={1} width={12} height={12} rx={3} fill={fill} stroke={stroke} strokeWidth={2} />
      </svg>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
    </Group>
  );
}

/** The account under the pointer (or clicked): whose money it holds, and what is frozen or stopped. */
function NodeDetail({
  node,
  victims,
  pinned,
  institutionNames,
}: {
  node: LayoutNode | null;
  victims: readonly FundVictim[];
  pinned: boolean;
  institutionNames: Record<string, string>;
}) {
  const { t, lang } = useI18n();
  if (!node)
    return (
      <Text size="xs" c="dimmed">
        {t('funds.traceHint')}
      </Text>
    );
  const rows = holdingsByVictim(node, victims).map((r) => ({ ...r, id: r.victim }));
  return (
    <Paper withBorder p="sm" radius="md" data-testid="trace-node-detail" data-account={node.account}>
      <Stack gap="xs">
        <Group gap="xs" wrap="wrap">
          <Text size="sm" fw={700} ff="monospace" style={{ wordBreak: 'break-all' }}>
            {node.account}
          </Text>
          {node.kind === 'cashOut' ? (
            <Badge color="red" variant="light" tt="none">
              {t(
                `funds.cashOut.${node.channel === 'atm' || node.channel === 'counter' ? node.channel : 'abroad'}`,
              )}
            </Badge>
          ) : null}
          {pinned ? (
            <Badge color="blue" variant="outline" tt="none" size="sm">
              {t('funds.pinned')}
            </Badge>
          ) : null}
        </Group>
        {node.kind === 'account' ? (
          <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
            <Field label={t('funds.hop')}>{node.depth}</Field>
            <Field label={t('funds.held')}>{fen(node.held, lang)}</Field>
            <Field label={t('funds.frozen')}>{fen(node.frozen, lang)}</Field>
            <Field label={t('funds.legendStopped')}>{fen(node.stopped, lang)}</Field>
            <Field label={t('funds.institution')}>
              {node.institutionName ??
                (node.institutionId ? (institutionNames[node.institutionId] ?? node.institutionId) : null) ??
                t('funds.unknownBank')}
            </Field>
          </SimpleGrid>
        ) : node.kind === 'cashOut' ? (
          <Text size="sm">{t('funds.cashedOut', { amount: fen(node.received, lang) })}</Text>
        ) : (
          <Text size="sm">{t('funds.victimAccount')}</Text>
        )}
        {node.kind === 'account' ? (
          <DataTable
            label={t('funds.holdings')}
            minWidth={280}
            rows={rows}
            empty={t('funds.holdingsNone')}
            columns={[
              { header: t('funds.victim'), cell: (r) => r.victim },
              { header: t('funds.held'), cell: (r) => fen(r.amount, lang) },
            ]}
          />
        ) : null}
      </Stack>
    </Paper>
  );
}
