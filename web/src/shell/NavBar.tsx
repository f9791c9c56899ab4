import { Button, Divider, NavLink, ScrollArea, Stack } from '@mantine/core';
import { visibleCapabilities } from '../capabilities.ts';
import { useT } from '../i18n/index.tsx';
import { linkProps, useLocation } from '../router.ts';
import { useSession } from '../session.tsx';
import { UserSummary } from './UserSummary.tsx';

/** The longest of `paths` that is `path` or a parent of it. */
function bestMatch(paths: string[], path: string): string | undefined {
  return paths
    .filter((p) => path === p || (p !== '/' && path.startsWith(p + '/')))
    .sort((a, b) => b.length - a.length)[0];
}

export function NavBar({ onNavigate }: { onNavigate: () => void }) {
  const t = useT();
  const { session, signOut } = useSession();
  const { path } = useLocation();
  const caps = visibleCapabilities(session);
  const active = bestMatch(
    ['/', ...caps.flatMap((c) => [c.path, ...(c.children ?? []).map((ch) => ch.path)])],
    path,
  );

  return (
    <>
      <Stack hiddenFrom="md" gap="sm" p="md" pb={0}>
        <UserSummary align="flex-start" />
        <Button hiddenFrom="sm" variant="default" size="xs" onClick={() => void signOut()}>
          {t('auth.signOut')}
        </Button>
        <Divider />
      </Stack>
      <ScrollArea p="xs" style={{ flex: 1 }}>
        <NavLink {...linkProps('/', onNavigate)} label={t('nav.home')} active={active === '/'} />
        {caps.map((c) =>
          c.children?.length ? (
            <NavLink
              key={c.id}
              component="button"
              label={t(c.label)}
              defaultOpened={c.children.some((ch) => ch.path === active)}
              childrenOffset="md"
            >
              {c.children.map((ch) => (
                <NavLink
                  key={ch.path}
                  {...linkProps(ch.path, onNavigate)}
                  label={t(ch.label)}
                  active={active === ch.path}
                />
              ))}
            </NavLink>
          ) : (
            <NavLink
              key={c.id}
              {...linkProps(c.path, onNavigate)}
              label={t(c.label)}
              active={active === c.path}
            />
          ),
        )}
      </ScrollArea>
    </>
  );
}
