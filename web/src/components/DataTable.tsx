import { Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useT } from '../i18n/index.tsx';

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
}

/** A table that scrolls sideways on a phone and says so when it has no rows. */
export function DataTable<T extends { id: string }>({
  columns,
  rows,
  empty,
  minWidth = 640,
  label,
  onRowClick,
}: {
  columns: Column<T>[];
  rows: T[];
  empty?: string;
  minWidth?: number;
  label?: string;
  /** the whole row opens it (keep a link in a cell for the keyboard) */
  onRowClick?: (row: T) => void;
}) {
  const t = useT();
  return (
    <Table.ScrollContainer minWidth={minWidth}>
      <Table striped highlightOnHover verticalSpacing="xs" aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            {columns.map((c, i) => (
              <Table.Th key={i}>{c.header}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.length === 0 ? (
            <Table.Tr>
              <Table.Td colSpan={columns.length}>
                <Text c="dimmed" size="sm" ta="center" py="md">
                  {empty ?? t('common.empty')}
                </Text>
              </Table.Td>
            </Table.Tr>
          ) : (
            rows.map((row) => (
              <Table.Tr
                key={row.id}
                onClick={
                  onRowClick
                    ? (e) => {
                        // a link or button in the row does its own thing
                        if ((e.target as HTMLElement).closest('a, button, input, select, textarea')) return;
                        onRowClick(row);
                      }
                    : undefined
                }
                style={onRowClick ? { cursor: 'pointer' } : undefined}
              >
                {columns.map((c, i) => (
                  <Table.Td key={i}>{c.cell(row)}</Table.Td>
                ))}
              </Table.Tr>
            ))
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
