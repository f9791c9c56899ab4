import { Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

export function PageTitle({
  title,
  intro,
  children,
}: {
  title: string;
  intro?: string;
  children?: ReactNode;
}) {
  return (
    <Stack gap={4} mb="md">
      <Title order={2}>{title}</Title>
      {intro ? (
        <Text c="dimmed" size="sm">
          {intro}
        </Text>
      ) : null}
      {children}
    </Stack>
  );
}
