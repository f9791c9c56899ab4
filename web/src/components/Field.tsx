import type { ReactNode } from 'react';
import { Stack, Text } from '@mantine/core';

/** A labelled value on a detail page: a small dimmed label over the value. */
export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" component="div" style={{ wordBreak: 'break-word' }}>
        {children}
      </Text>
    </Stack>
  );
}
