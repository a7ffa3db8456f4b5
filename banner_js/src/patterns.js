/**
 * Host/path pattern matching for automatic blocking.
 *
 * A pattern is `host`, `*.host` (the host itself and any subdomain), either
 * optionally followed by a path prefix: `www.googletagmanager.com/gtag/js`.
 * Hosts match case-insensitively, paths case-sensitively.
 * @module patterns
 */

/**
 * @typedef {{ host: string, wild: boolean, path: string }} HostPattern
 * @typedef {{ service: string, category: string, hosts: string[] }} BlockingRule
 * @typedef {{ service: string, category: string, patterns: HostPattern[] }} CompiledRule
 */

/**
 * @param {string} pattern
 * @returns {HostPattern}
 */
export function parsePattern(pattern) {
  const p = String(pattern).trim().replace(/^([a-z]+:)?\/\//i, '');
  const i = (p + '/').indexOf('/');
  const host = p.slice(0, i).toLowerCase();
  const wild = host.startsWith('*.');
  return { host: wild ? host.slice(2) : host, wild, path: p.slice(i) };
}

/**
 * @param {BlockingRule[]} rules
 * @returns {CompiledRule[]}
 */
export function compileRules(rules) {
  return (rules || []).map((r) => ({ service: r.service, category: r.category, patterns: (r.hosts || []).map(parsePattern) }));
}

/**
 * Split an http(s) URL into lowercase host and path (relative URLs resolve
 * against base); null for other schemes and unparsable input.
 * @param {string} url
 * @param {string} [base]
 * @returns {{ host: string, path: string } | null}
 */
export function splitUrl(url, base) {
  try {
    const u = new URL(String(url).trim(), base || 'http://invalid.invalid/');
    return /^https?:$/.test(u.protocol) ? { host: u.hostname.toLowerCase(), path: u.pathname } : null;
  } catch (e) {
    return null;
  }
}

/**
 * @param {HostPattern} p
 * @param {string} host
 * @param {string} path
 */
export function patternMatches(p, host, path) {
  return (host == p.host || (p.wild && host.endsWith('.' + p.host))) && path.startsWith(p.path);
}

/**
 * First rule matching a URL, or null.
 * @param {CompiledRule[]} compiled
 * @param {string | null} url
 * @param {string} [base] document base URL for relative URLs
 * @returns {CompiledRule | null}
 */
export function matchUrl(compiled, url, base) {
  const u = url ? splitUrl(url, base) : null;
  return (u && compiled.find((r) => r.patterns.some((p) => patternMatches(p, u.host, u.path)))) || null;
}

/** Embeds that always get a placeholder (besides any blocked iframe host). */
export const EMBED_HOSTS = compileRules([
  { service: 'youtube', category: 'marketing', hosts: ['*.youtube.com', '*.youtube-nocookie.com', 'youtu.be'] },
  { service: 'vimeo', category: 'marketing', hosts: ['*.vimeo.com'] },
  { service: 'google-maps', category: 'marketing', hosts: ['*.google.com/maps', 'maps.google.com', 'maps.googleapis.com'] },
]);
