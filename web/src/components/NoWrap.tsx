import type { ReactNode } from 'react';
import { Text } from '@mantine/core';

/** Table text kept on one line: a date and time, a bank's name. */
export function NoWrap({ children }: { children: ReactNode }) {
  return (
    <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
      {children}
    </Text>
  );
}
