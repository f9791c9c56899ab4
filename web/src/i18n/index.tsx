import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en, type Messages } from './en.ts';
import { zhCN } from './zh-CN.ts';

export type Lang = 'zh-CN' | 'en';
export const LANGS: readonly Lang[] = ['zh-CN', 'en'];
export const LANG_STORAGE_KEY = 'interdict.lang';

const DICTIONARIES: Record<Lang, Messages> = { 'zh-CN': zhCN, en };

/** Dotted paths of every string in the dictionaries, e.g. `nav.home`. */
type Leaves<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : Leaves<T[K], `${P}${K}.`>;
}[keyof T & string];
export type MessageKey = Leaves<Messages>;
export type Vars = Record<string, string | number>;

function resolve(dict: Messages, key: string): string | undefined {
  let node: unknown = dict;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : undefined;
}

function fill(text: string, vars?: Vars): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}

/** The stored choice, else the browser's language: zh* → 简体中文, anything else → English. */
export function initialLang(): Lang {
  try {
    const stored = window.localStorage.getItem(LANG_STORAGE_KEY);
    if (isLang(stored)) return stored;
  } catch {
    // storage blocked: fall through to the browser's language
  }
  const nav = typeof navigator !== 'undefined' ? navigator.language : '';
  return nav.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  /** The text of `key` in the current language, with `{name}` placeholders filled. */
  t(key: MessageKey, vars?: Vars): string;
  /** For keys built from data (a role, a status): the text, or undefined when there is none. */
  lookup(key: string, vars?: Vars): string | undefined;
  /** A date-time (ISO string) in the current language; `—` for none. */
  dateTime(iso: string | null | undefined): string;
  /** A calendar date (ISO string) in the current language; `—` for none. */
  date(iso: string | null | undefined): string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      window.localStorage.setItem(LANG_STORAGE_KEY, next);
    } catch {
      // storage blocked: the choice lasts for this page only
    }
  }, []);

  const value = useMemo<I18n>(() => {
    const dict = DICTIONARIES[lang];
    const dateTimeFormat = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
    const dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: 'medium' });
    const format = (f: Intl.DateTimeFormat, iso: string | null | undefined) => {
      if (!iso) return dict.common.none;
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? iso : f.format(d);
    };
    return {
      lang,
      setLang,
      t: (key, vars) => fill(resolve(dict, key) ?? key, vars),
      lookup: (key, vars) => {
        const text = resolve(dict, key);
        return text === undefined ? undefined : fill(text, vars);
      },
      dateTime: (iso) => format(dateTimeFormat, iso),
      date: (iso) => format(dateFormat, iso),
    };
  }, [lang, setLang]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}

/** The translate function of the current language. */
export function useT(): I18n['t'] {
  return useI18n().t;
}
