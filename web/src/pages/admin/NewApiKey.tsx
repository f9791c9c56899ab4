import { Alert, Button, Code, CopyButton, Group, Stack, Text } from '@mantine/core';
import type { CreatedApiKey } from '../../api.ts';
import { useT } from '../../i18n/index.tsx';

/** The key just created, shown this once, with a copy button and a warning. */
export function NewApiKey({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const t = useT();
  return (
    <Alert color="yellow" variant="light" title={t('apiKeys.createdTitle', { name: created.name })}>
      <Stack gap="sm">
        <Text size="sm" fw={500}>
          {t('apiKeys.createdWarning')}
        </Text>
        <Code
          block
          data-testid="new-api-key"
          aria-label={t('apiKeys.keyLabel')}
          style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap', userSelect: 'all' }}
        >
          {created.key}
        </Code>
        <Group>
          <CopyButton value={created.key}>
            {({ copied, copy }) => (
              <Button size="xs" color={copied ? 'teal' : 'yellow'} onClick={copy}>
                {copied ? t('common.copied') : t('common.copy')}
              </Button>
            )}
          </CopyButton>
          <Button size="xs" variant="default" onClick={onDone}>
            {t('apiKeys.done')}
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}
