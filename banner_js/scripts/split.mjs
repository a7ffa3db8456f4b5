// The full loader config (docs/interfaces.md) split as consent_service/api/loader.py
// splits it: what the blocking core needs, and one language's UI texts.

/** @param {any} full @param {string} uiUrl URL template with {lang} */
export function coreConfig(full, uiUrl) {
  return {
    site_key: full.site_key,
    policy_version: full.policy_version,
    material_version: full.material_version,
    languages: full.languages,
    reprompt_days: full.reprompt_days,
    categories: full.categories.map((c) => ({ id: c.id, required: !!c.required })),
    blocking: full.blocking,
    consent_mode: full.consent_mode,
    reopen: Object.fromEntries(full.languages.filter((l) => full.texts[l]).map((l) => [l, full.texts[l].reopen_label])),
    ui: uiUrl,
  };
}

/** @param {any} full @param {string} lang */
export function uiTexts(full, lang) {
  return {
    api_base: full.api_base,
    policy_version: full.policy_version,
    texts: { [lang]: full.texts[lang] },
    banner_hashes: { [lang]: (full.banner_hashes || {})[lang] || '' },
    categories: full.categories.map((c) => ({
      id: c.id,
      required: !!c.required,
      services: (c.services || []).map((s) => ({ id: s.id, name: s.name, vendor: s.vendor, cookies: (s.cookies || []).map((k) => ({ name: k.name, lifetime: k.lifetime })) })),
    })),
  };
}

/** JSON safe inside a script. @param {any} v */
export const scriptJson = (v) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

export const coreScript = (full, uiUrl, bundle) => `window.__consentServiceConfig=${scriptJson(coreConfig(full, uiUrl))};\n${bundle}`;
export const uiScript = (full, lang, bundle) => `window.__consentServiceTexts=${scriptJson(uiTexts(full, lang))};\n${bundle}`;
