import { Alert, Anchor, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { api, type Instruction } from '../../api.ts';
import { Loadable } from '../../components/Loadable.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { linkProps } from '../../router.ts';
import { useApi } from '../../useApi.ts';

const shortId = (id: string) => id.slice(0, 8);

/**
 * An instruction's links to appeals and restores: the instruction a restore undoes, the restores
 * sent to undo this one, and the upheld appeal that lifted it.
 */
export function RestoreLinks({ instruction: i }: { instruction: Instruction }) {
  const { t } = useI18n();
  const appealLink = i.appealId ? (
    <Anchor {...linkProps(`/governance/appeals/${i.appealId}`)} size="sm" data-testid="instruction-appeal">
      {t('governance.openAppeal')}
    </Anchor>
  ) : null;
  return (
    <>
      {i.restoresInstructionId ? (
        <Alert color="teal" variant="light" data-testid="instruction-restores">
          <Group gap="sm" wrap="wrap">
            <Text size="sm">
              {t('governance.restores')}{' '}
              <Anchor
                {...linkProps(`/governance/${i.restoresInstructionId}`)}
                size="sm"
                ff="monospace"
                data-testid="instruction-restores-link"
              >
                {shortId(i.restoresInstructionId)}
              </Anchor>
            </Text>
            {appealLink}
          </Group>
        </Alert>
      ) : null}
      {i.status === 'lifted' ? (
        <Alert color="gray" variant="light" data-testid="instruction-lifted">
          <Group gap="sm" wrap="wrap">
            <Text size="sm" fw={600}>
              {t('governance.liftedByAppeal')}
            </Text>
            {appealLink}
          </Group>
        </Alert>
      ) : null}
      {i.restoredBy?.length ? (
        <Group gap="sm" wrap="wrap" data-testid="instruction-restored-by">
          <Text size="sm" c="dimmed">
            {t('governance.restoredBy')}:
          </Text>
          {i.restoredBy.map((id) => (
            <Anchor key={id} {...linkProps(`/governance/${id}`)} size="sm" ff="monospace">
              {shortId(id)}
            </Anchor>
          ))}
        </Group>
      ) : null}
    </>
  );
}

/** The notice the institution gives the holder with the measure, in both languages side by side. */
export function HolderNotice({ id }: { id: string }) {
  const { t } = useI18n();
  const [notice, reload] = useApi(() => api.getInstructionNotice(id), [id]);
  return (
    <Stack gap="xs" data-testid="instruction-notice">
      <Title order={3} size="h4">
        {t('governance.notice')}
      </Title>
      <Text size="sm" c="dimmed">
        {t('governance.noticeIntro')}
      </Text>
      <Loadable state={notice} onRetry={reload}>
        {(n) => (
          <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
            {(
              [
                ['zh', t('lang.zhCN'), n.zh],
                ['en', t('lang.en'), n.en],
              ] as const
            ).map(([lang, label, text]) => (
              <Paper key={lang} withBorder p="md" radius="md" lang={lang === 'zh' ? 'zh-CN' : 'en'}>
                <Stack gap={4}>
                  <Text size="xs" c="dimmed">
                    {label}
                  </Text>
                  <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                    {text}
                  </Text>
                </Stack>
              </Paper>
            ))}
          </SimpleGrid>
        )}
      </Loadable>
    </Stack>
  );
}
