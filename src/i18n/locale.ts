/**
 * The languages user-facing messages exist in, and the choice among them from an
 * Accept-Language header (RFC 9110: weighted language ranges; `es-MX` falls back to `es`).
 */

export const LOCALES = ['en', 'es'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/** A message in every supported language. */
export type LocalizedText = Readonly<Record<Locale, string>>;

const isLocale = (tag: string): tag is Locale => (LOCALES as readonly string[]).includes(tag);

export function pickLocale(acceptLanguage: string | undefined): Locale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranges = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/i.exec(p)?.[1]).find(Boolean);
      return { tag: range.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.tag !== '' && Number.isFinite(r.q) && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranges) {
    const primary = tag.split('-')[0] ?? '';
    if (isLocale(primary)) return primary;
  }
  return DEFAULT_LOCALE;
}

/** A plain string is the same in every language. */
export function localize(text: string | LocalizedText, locale: Locale): string {
  return typeof text === 'string' ? text : text[locale];
}
