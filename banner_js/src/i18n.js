/**
 * Language choice and text lookup.
 * @module i18n
 */

/**
 * Choose the banner language: `<html lang>` primary subtag if the site offers
 * it (fi, sv, en...), otherwise the first configured language.
 * @param {string | null | undefined} htmlLang e.g. "fi-FI", "sv", "EN-gb"
 * @param {string[]} languages configured languages, first is the fallback
 * @param {Record<string, unknown>} [texts] available text objects
 * @returns {string}
 */
export function pickLanguage(htmlLang, languages, texts) {
  const langs = (languages && languages.length ? languages : Object.keys(texts || {})).map((l) => String(l).toLowerCase());
  const have = (l) => langs.includes(l) && (!texts || texts[l]);
  const primary = String(htmlLang || '').trim().toLowerCase().split(/[-_]/)[0];
  if (primary && have(primary)) return primary;
  const fallback = langs.find((l) => !texts || texts[l]);
  return fallback || 'en';
}

/**
 * Text getter with fallback to the fallback language, then to the key.
 * @param {Record<string, any>} texts all languages
 * @param {string} lang
 * @param {string} fallbackLang
 */
export function makeT(texts, lang, fallbackLang) {
  const main = (texts && texts[lang]) || {};
  const fb = (texts && texts[fallbackLang]) || {};
  /** @param {string} key */
  const t = (key) => (main[key] != null ? main[key] : fb[key] != null ? fb[key] : '');
  /** @param {string} id */
  t.category = (id) => ((main.categories && main.categories[id]) || (fb.categories && fb.categories[id]) || { title: id, description: '' });
  return t;
}
