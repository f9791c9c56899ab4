import type { ReactNode } from 'react';
import { Stack, Title } from '@mantine/core';

/** A titled part of a detail page or inbox; `testId` marks it for the browser tests. */
export function Section({
  title,
  children,
  testId,
}: {
  title: string;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <Stack gap="xs" data-testid={testId}>
      <Title order={3} size="h4">
        {title}
      </Title>
      {children}
    </Stack>
  );
}
