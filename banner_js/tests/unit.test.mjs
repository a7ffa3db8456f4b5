// Unit tests for the pure modules (node:test, no browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePattern, compileRules, matchUrl, splitUrl, EMBED_HOSTS } from '../src/patterns.js';
import { serialize, parse, needsPrompt, readCookie } from '../src/storage.js';
import * as Q from '../src/queue.js';
import { pickLanguage, makeT } from '../src/i18n.js';
import { defaultState, updateState, SIGNALS } from '../src/consent-mode.js';
import { normalizeConfig } from '../src/config.js';
import { makeConfig, texts } from './fixtures/config.js';

const rules = compileRules(makeConfig('x').blocking);

test('parsePattern: host, wildcard, path prefix, scheme stripped', () => {
  assert.deepEqual(parsePattern('www.googletagmanager.com/gtag/js'), { host: 'www.googletagmanager.com', wild: false, path: '/gtag/js' });
  assert.deepEqual(parsePattern('*.Google-Analytics.com'), { host: 'google-analytics.com', wild: true, path: '' });
  assert.deepEqual(parsePattern('https://connect.facebook.net/'), { host: 'connect.facebook.net', wild: false, path: '/' });
});

test('matchUrl: exact host, path prefix and wildcard', () => {
  assert.equal(matchUrl(rules, 'https://www.googletagmanager.com/gtag/js?id=G-1').service, 'google-analytics');
  assert.equal(matchUrl(rules, 'https://www.googletagmanager.com/gtm.js?id=GTM-1').service, 'google-tag-manager');
  assert.equal(matchUrl(rules, 'https://www.googletagmanager.com/ns.html'), null, 'path prefix must match');
  assert.equal(matchUrl(rules, 'https://region1.google-analytics.com/g/collect').category, 'analytics');
  assert.equal(matchUrl(rules, 'https://google-analytics.com/x').category, 'analytics', '*.host also matches the bare host');
  assert.equal(matchUrl(rules, 'https://evilgoogle-analytics.com/x'), null, 'no suffix confusion');
  assert.equal(matchUrl(rules, 'https://google-analytics.com.evil.example/x'), null);
  assert.equal(matchUrl(rules, '//connect.facebook.net/en_US/fbevents.js', 'https://site.fi/').category, 'marketing', 'protocol-relative');
  assert.equal(matchUrl(rules, 'https://CONNECT.FACEBOOK.NET/x').category, 'marketing', 'host is case-insensitive');
  assert.equal(matchUrl(rules, 'https://www.facebook.com/tr?id=1').service, 'meta-pixel');
  assert.equal(matchUrl(rules, 'https://www.facebook.com/somepage'), null);
  assert.equal(matchUrl(rules, '/local.js', 'https://site.fi/'), null);
  assert.equal(matchUrl(rules, 'data:text/javascript,1'), null);
  assert.equal(matchUrl(rules, null), null);
  assert.equal(matchUrl(rules, 'http://[bad'), null);
});

test('EMBED_HOSTS cover YouTube, Vimeo and Google Maps', () => {
  assert.equal(matchUrl(EMBED_HOSTS, 'https://www.youtube-nocookie.com/embed/x').service, 'youtube');
  assert.equal(matchUrl(EMBED_HOSTS, 'https://player.vimeo.com/video/1').service, 'vimeo');
  assert.equal(matchUrl(EMBED_HOSTS, 'https://www.google.com/maps/embed?pb=1').service, 'google-maps');
  assert.equal(matchUrl(EMBED_HOSTS, 'https://www.google.com/search'), null);
  assert.deepEqual(splitUrl('https://A.example/p?q'), { host: 'a.example', path: '/p' });
});

test('storage: serialise/parse round trip keeps version, choices, time, receipt, event, gpc', () => {
  const s = { v: 3, choices: { necessary: true, preferences: false, analytics: true, marketing: false }, t: 1700000000000, r: 'rcpt_1', e: 'ev-1', g: true };
  const raw = serialize(s);
  assert.ok(!/[;,\s]/.test(raw), 'cookie-safe value');
  assert.deepEqual(parse(raw, ['necessary', 'preferences', 'analytics', 'marketing']), s);
  // A category added later reads as not accepted.
  assert.equal(parse(raw, ['necessary', 'analytics', 'marketing', 'newcat']).choices.newcat, false);
  assert.equal(parse('garbage%', ['necessary']), null);
  assert.equal(parse(null, ['necessary']), null);
  assert.equal(parse(encodeURIComponent('{"v":"1"}'), ['necessary']), null);
  assert.equal(readCookie('a=1; cs_consent=xyz; b=2', 'cs_consent'), 'xyz');
  assert.equal(readCookie('xcs_consent=1', 'cs_consent'), null);
});

test('needsPrompt: none, material change, age, refusal kept', () => {
  const now = Date.UTC(2025, 5, 1);
  const cfg = { material_version: 2, reprompt_days: 365 };
  const base = { v: 2, choices: { necessary: true }, t: now - 10 * 864e5, r: null, e: 'x', g: false };
  assert.equal(needsPrompt(null, cfg, now), true);
  assert.equal(needsPrompt(base, cfg, now), false, 'valid consent (also a refusal) is not re-asked');
  assert.equal(needsPrompt({ ...base, v: 1 }, cfg, now), true, 'material change re-prompts');
  assert.equal(needsPrompt({ ...base, v: 5 }, cfg, now), false, 'newer non-material version is fine');
  assert.equal(needsPrompt({ ...base, t: now - 366 * 864e5 }, cfg, now), true, 'older than reprompt_days');
  assert.equal(needsPrompt({ ...base, t: now - 364 * 864e5 }, cfg, now), false);
  assert.equal(needsPrompt({ ...base, t: now + 5 * 864e5 }, cfg, now), true, 'future timestamp');
});

test('queue: enqueue dedupes by event_id, caps length, removes', () => {
  let q = Q.enqueue([], '/u', { event_id: 'a' }, 0);
  q = Q.enqueue(q, '/u', { event_id: 'a' }, 5);
  assert.equal(q.length, 1);
  q = Q.enqueue(q, '/u', { event_id: 'b' }, 0);
  assert.deepEqual(q.map((i) => i.event.event_id), ['a', 'b']);
  assert.deepEqual(Q.remove(q, 'a').map((i) => i.event.event_id), ['b']);
  let big = [];
  for (let i = 0; i < Q.MAX_ITEMS + 5; i++) big = Q.enqueue(big, '/u', { event_id: 'e' + i }, 0);
  assert.equal(big.length, Q.MAX_ITEMS);
  assert.equal(big[big.length - 1].event.event_id, 'e' + (Q.MAX_ITEMS + 4), 'newest kept');
});

test('queue: exponential backoff with cap, due items and next due time', () => {
  assert.equal(Q.backoff(1, 0.5), 1000);
  assert.equal(Q.backoff(2, 0.5), 2000);
  assert.equal(Q.backoff(4, 0.5), 8000);
  assert.equal(Q.backoff(30, 0.5), Q.MAX_DELAY_MS);
  assert.ok(Q.backoff(3, 0) >= 3000 && Q.backoff(3, 1) <= 5000, 'jitter ±25%');
  let q = Q.enqueue([], '/u', { event_id: 'a' }, 100);
  q = Q.markFailed(q, 'a', 100, 0.5);
  assert.equal(q[0].attempts, 1);
  assert.equal(q[0].nextAt, 1100);
  assert.deepEqual(Q.due(q, 1099), []);
  assert.equal(Q.due(q, 1100).length, 1);
  assert.equal(Q.nextDueAt(q), 1100);
  assert.equal(Q.nextDueAt([]), null);
});

test('queue: response classification and decoding', () => {
  assert.equal(Q.classify(201), 'done');
  assert.equal(Q.classify(200), 'done');
  assert.equal(Q.classify(0), 'retry', 'network failure');
  assert.equal(Q.classify(503), 'retry');
  assert.equal(Q.classify(500), 'retry');
  assert.equal(Q.classify(429), 'retry');
  assert.equal(Q.classify(408), 'retry');
  assert.equal(Q.classify(422), 'drop');
  assert.equal(Q.classify(400), 'drop');
  assert.deepEqual(Q.decode('not json'), []);
  assert.deepEqual(Q.decode('{"a":1}'), []);
  assert.equal(Q.decode(JSON.stringify([{ url: '/u', event: { event_id: 'a' } }, { junk: 1 }])).length, 1);
});

test('i18n: html lang to fi/sv/en with fallback to languages[0]', () => {
  const langs = ['fi', 'sv', 'en'];
  assert.equal(pickLanguage('fi-FI', langs, texts), 'fi');
  assert.equal(pickLanguage('sv-FI', langs, texts), 'sv');
  assert.equal(pickLanguage('EN_gb', langs, texts), 'en');
  assert.equal(pickLanguage('de', langs, texts), 'fi');
  assert.equal(pickLanguage('', ['sv', 'fi'], texts), 'sv');
  assert.equal(pickLanguage(null, langs, texts), 'fi');
  assert.equal(pickLanguage('en', ['fi', 'en'], { fi: {} }), 'fi', 'language without texts falls back');
  const t = makeT({ fi: { title: 'Otsikko', categories: { analytics: { title: 'Analytiikka' } } }, en: { title: 'Title', save: 'Save' } }, 'fi', 'en');
  assert.equal(t('title'), 'Otsikko');
  assert.equal(t('save'), 'Save', 'missing key falls back');
  assert.equal(t('nope'), '');
  assert.equal(t.category('analytics').title, 'Analytiikka');
  assert.equal(t.category('marketing').title, 'marketing');
});

test('consent mode: default all denied but security; update from mapping', () => {
  const d = defaultState();
  for (const s of SIGNALS) assert.equal(d[s], 'denied', s);
  assert.equal(d.security_storage, 'granted');
  assert.equal(d.wait_for_update, 500);
  const mapping = makeConfig('x').consent_mode;
  const u = updateState({ necessary: true, analytics: true, marketing: false, preferences: false }, mapping);
  assert.equal(u.analytics_storage, 'granted');
  assert.equal(u.ad_storage, 'denied');
  assert.equal(u.ad_user_data, 'denied');
  assert.equal(u.functionality_storage, 'denied');
  assert.equal(u.security_storage, 'granted');
  assert.ok(!('wait_for_update' in u));
  const all = updateState({ necessary: true, analytics: true, marketing: true, preferences: true }, mapping);
  for (const s of SIGNALS) assert.equal(all[s], 'granted', s);
  // A signal shared by two categories needs both.
  assert.equal(updateState({ a: true, b: false }, { a: ['ad_storage'], b: ['ad_storage'] }).ad_storage, 'denied');
});

test('config: defaults, necessary forced first and required', () => {
  const c = normalizeConfig({ api_base: 'https://x/api/v1/', categories: [{ id: 'analytics' }, { id: 'necessary', required: false }], texts: { sv: {} } });
  assert.equal(c.api_base, 'https://x/api/v1');
  assert.deepEqual(c.categories.map((x) => x.id), ['necessary', 'analytics']);
  assert.equal(c.categories[0].required, true);
  assert.equal(c.reprompt_days, 365);
  assert.equal(c.languages[0], 'sv');
  const empty = normalizeConfig(undefined);
  assert.deepEqual(empty.categories.map((x) => x.id), ['necessary']);
  assert.deepEqual(empty.blocking, []);
});

test('fixture texts: every language has every key', () => {
  const keys = Object.keys(texts.en);
  for (const l of ['fi', 'sv']) assert.deepEqual(Object.keys(texts[l]).sort(), keys.sort(), l);
});
