import { SegmentedControl } from '@mantine/core';
import { useI18n, type Lang } from '../i18n/index.tsx';

/** 简体中文 | English, on every page; the choice is kept in localStorage (interdict.lang). */
export function LanguageSwitch({ size = 'xs' }: { size?: 'xs' | 'sm' }) {
  const { lang, setLang, t } = useI18n();
  return (
    <SegmentedControl
      size={size}
      aria-label={t('lang.label')}
      value={lang}
      onChange={(v) => setLang(v as Lang)}
      data={[
        { value: 'zh-CN', label: t('lang.zhCN') },
        { value: 'en', label: t('lang.en') },
      ]}
    />
  );
}
