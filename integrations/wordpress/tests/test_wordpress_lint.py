"""Static checks of the WordPress plugin: `php -l`, PHP_CodeSniffer, unit checks in PHP,
block metadata, and the installable zip.

PHP_CodeSniffer runs with integrations/wordpress/phpcs.xml.dist: the WordPress coding style
as far as Debian's php-codesniffer can check it (the WordPress Coding Standards themselves
are on Packagist, which this project cannot reach).
Skips when php or phpcs are missing, unless CI is set (then it fails).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
WP_DIR = HERE.parent
PLUGIN = WP_DIR / "consent-service"
PHP_FILES = sorted([*PLUGIN.rglob("*.php"), *(HERE / "fixtures").rglob("*.php")])
LANGUAGES = PLUGIN / "languages"
PO_FILES = sorted(LANGUAGES.glob("consent-service-*.po"))
_spec = importlib.util.spec_from_file_location("wordpress_i18n", WP_DIR / "i18n.py")
i18n = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(i18n)
read_po = i18n.read_po


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        reason = f"{tool} not installed (Debian {package}; scripts/install-wordpress-deps.sh)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.mark.parametrize("path", PHP_FILES, ids=lambda p: str(p.relative_to(WP_DIR)))
def test_php_syntax(path):
    php = need("php", "php-cli")
    res = subprocess.run([php, "-l", str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr


def test_phpcs_wordpress_style():
    phpcs = need("phpcs", "php-codesniffer")
    res = subprocess.run([phpcs, "--standard=phpcs.xml.dist", "--report=full", "-q"],
                         cwd=WP_DIR, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


GA = 'type="text/plain" data-category="analytics" data-cs-service="google-analytics"'
FB = 'type="text/plain" data-category="marketing" data-cs-service="facebook-pixel"'
GTAG = "https://www.googletagmanager.com/gtag/js?id=G-1"
# (page, the page after the server-side rewrite): the built-in tokenizer (WordPress 6.1).
REWRITES = [
    # <script src>, attributes kept in place, the original type kept aside when not JS.
    (f'<script async src="{GTAG}"></script>', f'<script {GA} async src="{GTAG}"></script>'),
    (f"<SCRIPT SRC={GTAG} type='text/javascript'></SCRIPT>",
     f"<SCRIPT {GA} SRC={GTAG} ></SCRIPT>"),
    ('<script type="module" src="//connect.facebook.net/m.js"></script>',
     f'<script {FB} data-cs-type="module"  src="//connect.facebook.net/m.js"></script>'),
    # Inline snippets: a tracker host in the code, or a service's signature.
    ("<script>!function(){}(window,document,'script','https://connect.facebook.net/en_US/"
     "fbevents.js');</script>",
     f"<script {FB}>!function(){{}}(window,document,'script','https://connect.facebook.net/"
     "en_US/fbevents.js');</script>"),
    ("<script>gtag('config', 'G-1');</script>", f"<script {GA}>gtag('config', 'G-1');</script>"),
    ('<script>var u = "https:\\/\\/www.facebook.com\\/tr?id=1";</script>',
     f'<script {FB}>var u = "https:\\/\\/www.facebook.com\\/tr?id=1";</script>'),
    # Consent Mode calls and other inline code stay; so do data blocks and opt-in markup.
    ("<script>gtag('consent', 'default', {});</script>",) * 2,
    ('<script type="application/ld+json">{"u": "https://connect.facebook.net/x"}</script>',) * 2,
    (f'<script type="text/plain" data-category="analytics" src="{GTAG}"></script>',) * 2,
    (f'<script data-consent-ignore src="{GTAG}"></script>',) * 2,
    # A script's text is not markup: a tag inside a string, escaped states.
    ('<script>var s = "<img src=https://www.facebook.com/tr>";</script>',
     f'<script {FB}>var s = "<img src=https://www.facebook.com/tr>";</script>'),
    ('<script>document.write("<!--<script>x()</script>-->"); var a = 1;</script>'
     '<img src="https://www.facebook.com/tr?a">',
     '<script>document.write("<!--<script>x()</script>-->"); var a = 1;</script>'
     '<img data-category="marketing" data-cs-service="facebook-pixel" '
     'data-src="https://www.facebook.com/tr?a" >'),
    (f'<script><!-- var a = 1; --></script><script src="{GTAG}"></script>',
     f'<script><!-- var a = 1; --></script><script {GA} src="{GTAG}"></script>'),
    # Comments, raw text and attribute values hide what looks like a tag.
    (f'<!-- <script src="{GTAG}"></script> --><textarea><img src="https://www.facebook.com/tr">'
     '</textarea><title><script src="https://connect.facebook.net/x"></script></title>',) * 2,
    (f'<div title=\'<script src="{GTAG}">\' data-x=">"></div>',) * 2,
    (f'<!--><script src="{GTAG}"></script>', f'<!--><script {GA} src="{GTAG}"></script>'),
    # iframes and pixels: data-src, every duplicate src removed, entities decoded once.
    ('<iframe width="560" src="https://www.youtube.com/embed/abc?a=1&amp;b=2" '
     'allowfullscreen></iframe>',
     '<iframe data-category="marketing" data-cs-service="youtube" '
     'data-src="https://www.youtube.com/embed/abc?a=1&amp;b=2" width="560"  '
     'allowfullscreen></iframe>'),
    ('<img src=https://www.facebook.com/tr?id=1 src="https://ok.example/a.png" alt="">',
     '<img data-category="marketing" data-cs-service="facebook-pixel" '
     'data-src="https://www.facebook.com/tr?id=1"   alt="">'),
    ('<noscript><img height="1" src="https://www.facebook.com/tr?id=1&amp;ev=PageView"/>'
     '</noscript>',
     '<noscript><img data-category="marketing" data-cs-service="facebook-pixel" '
     'data-src="https://www.facebook.com/tr?id=1&amp;ev=PageView" height="1" /></noscript>'),
    # URLs as the browser reads them: one slash or backslashes after the scheme, %xx hosts.
    ('<img src="https:/www.facebook.com/tr?x"><img src="https:\\\\www.facebook.com\\tr">'
     '<img src="//www.facebook%2Ecom/tr">',
     '<img data-category="marketing" data-cs-service="facebook-pixel" '
     'data-src="https:/www.facebook.com/tr?x" >'
     '<img data-category="marketing" data-cs-service="facebook-pixel" '
     'data-src="https:\\\\www.facebook.com\\tr" >'
     '<img data-category="marketing" data-cs-service="facebook-pixel" '
     'data-src="//www.facebook%2Ecom/tr" >'),
    # Vimeo is not in these rules, but iframes of the banner's embed hosts are held back too.
    ('<iframe src="https://player.vimeo.com/video/1"></iframe>',
     '<iframe data-category="marketing" data-cs-service="vimeo" '
     'data-src="https://player.vimeo.com/video/1" ></iframe>'),
    ('<img src="https://player.vimeo.com/video/1.png">',) * 2,
    # Resource hints would connect to the tracker before consent.
    ('<link rel="preconnect" href="https://www.google-analytics.com">',
     '<link data-cs-href="https://www.google-analytics.com" data-category="analytics" '
     'data-cs-service="google-analytics" rel="preconnect" >'),
    ('<link rel="stylesheet" href="https://www.google-analytics.com/x.css">',) * 2,
    # Necessary services, look-alike hosts, relative URLs, the filter, a tag cut by EOF.
    ('<script src="https://www.google.com/recaptcha/api.js"></script>',) * 2,
    ('<script src="https://evilgoogle-analytics.com/a.js"></script>'
     '<script src="/wp-content/x.js?u=https://connect.facebook.net/"></script>',) * 2,
    (f'<script src="{GTAG}&filtered-out"></script>',) * 2,
    (f'<p>text</p><script src="{GTAG}"',) * 2,
]


# The rules of unit.php, for the HTML API run.
UNIT_RULES = [
    {"service": "google-analytics", "category": "analytics",
     "hosts": ["www.googletagmanager.com/gtag/js", "*.google-analytics.com"]},
    {"service": "facebook-pixel", "category": "marketing",
     "hosts": ["connect.facebook.net", "www.facebook.com/tr"]},
    {"service": "youtube", "category": "marketing", "hosts": ["www.youtube.com/embed"]},
    {"service": "google-recaptcha", "category": "necessary", "hosts": ["www.google.com/recaptcha"]},
]


def tags_of(html: str) -> list:
    """Every start tag with its attributes (sorted) and text, whitespace aside."""
    from html.parser import HTMLParser

    found: list = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, sorted(attrs)))

        def handle_startendtag(self, tag, attrs):
            found.append((tag, sorted(attrs)))

        def handle_data(self, data):
            if data.strip():
                found.append(("#text", data))

    P(convert_charrefs=True).feed(html)
    return found


def test_unit_rewrite_with_wordpress_html_api(tmp_path):
    """WordPress 6.5+ parses with WP_HTML_Tag_Processor: the same tags change the same way.
    Needs a WordPress 6.5+ wp-includes (WP_HTML_API_DIR; fetch-html-api.sh gets one from the
    npm registry): Debian's WordPress is 6.1."""
    php = need("php", "php-cli")
    includes = os.environ.get("WP_HTML_API_DIR")
    if not includes:
        pytest.skip("WP_HTML_API_DIR not set (a WordPress 6.5+ wp-includes; "
                    "integrations/wordpress/tests/fetch-html-api.sh)")
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps([page for page, *_ in REWRITES]))
    (tmp_path / "cases.json.rules").write_text(json.dumps(UNIT_RULES))
    res = subprocess.run([php, str(HERE / "fixtures" / "unit-html-api.php"), str(PLUGIN),
                          str(cases), includes], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    out = json.loads(res.stdout)
    assert out["engine"] == "tag-processor"
    for (page, expected), got in zip(REWRITES, out["pages"], strict=True):
        if "<p>text</p><script" in page:
            continue  # a tag cut by the end of the page: each parser leaves it as it is
        assert tags_of(got) == tags_of(expected), (page, got)


def run_unit(tmp_path):
    php = need("php", "php-cli")
    cases = tmp_path / "rewrite-cases.json"
    cases.write_text(json.dumps([page for page, *_ in REWRITES]))
    res = subprocess.run([php, str(HERE / "fixtures" / "unit.php"), str(PLUGIN), str(cases)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    return json.loads(res.stdout)


def test_unit_rewrite_with_the_tokenizer(tmp_path):
    out = run_unit(tmp_path)
    for (page, expected), got in zip(REWRITES, out["rewrites"], strict=True):
        assert got == expected, page


def test_unit_buffer_witness_heads_site_health_and_bridge(tmp_path):
    out = run_unit(tmp_path)
    assert out["buffer"] == {"flush": "", "final": "<p>one <script>x</script>",
                             "html": [True, False, False, False]}
    w = out["witness"]
    assert [h["tree_size"] for h in w["ok"]] == [3]
    assert w["old"] and w["bad_hash"] and w["bad_size"] and w["not_array"]
    first = out["first"]
    assert "consent-service-loader" in first[0]  # a held-back script before it does not run
    assert first[1] == "<script>"  # a comment and JSON-LD do not run; this one does
    assert first[2] is None
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed")
    # The WP Consent API bridge against the banner's public API, in node.
    harness = """
const calls = [];
const window = new EventTarget();
const document = new EventTarget();
window.wp_set_consent = (c, v) => calls.push(c + '=' + v);
window.consentService = { getConsent: () => (%s) };
%s
const before = calls.splice(0);
window.dispatchEvent(new CustomEvent('consent:changed', { detail: { action: 'withdraw',
  choices: { necessary: true, analytics: false, marketing: true } } }));
console.log(JSON.stringify({ type: window.wp_consent_type, before, after: calls }));
"""
    results = []
    for stored in ("null", "{choices: {necessary: true, analytics: true, marketing: false}}"):
        res = subprocess.run([node, "-e", harness % (stored, out["bridge"])],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        results.append(json.loads(res.stdout))
    deny_all = ["functional=allow", "preferences=deny", "statistics=deny",
                "statistics-anonymous=deny", "marketing=deny"]
    assert results[0]["type"] == "optin" and results[0]["before"] == deny_all
    assert results[1]["before"] == ["functional=allow", "preferences=deny", "statistics=allow",
                                    "statistics-anonymous=allow", "marketing=deny"]
    assert results[1]["after"] == ["functional=allow", "preferences=deny", "statistics=deny",
                                   "statistics-anonymous=deny", "marketing=allow"]


def test_unit_matching_marking_and_validation(tmp_path):
    out = run_unit(tmp_path)
    assert out["services"] == {"google-analytics": "analytics", "facebook-pixel": "marketing"}
    assert out["rules"] == 2  # the malformed rule is dropped
    a, m = "analytics", "marketing"
    assert out["categories"] == [
        a, a, a,        # gtag/js: absolute, protocol-relative, host case-insensitive
        None, None,     # path case-sensitive; gtm.js is another service
        a, a, None,     # *.google-analytics.com: subdomain, apex, not a look-alike
        m, None, None,  # connect.facebook.net; local script; javascript: URL
        a, a, m,        # handle = service id, id-suffix, id_suffix
        None, None,     # necessary service handle; handle that only starts alike
    ]
    marked = out["marked"]
    assert "<script id='gtag-js-extra'>" in marked  # wp_localize_script data runs as is
    for sid in ("gtag-js-before", "gtag-js", "gtag-js-after"):
        assert "<script type=\"text/plain\" data-category=\"analytics\"" in \
            marked.split(f"id='{sid}'")[0].rsplit("\n", 1)[-1]
    assert "text/javascript" not in marked
    assert 'data-cs-type="module"' in out["module"]
    # http only for hosts in CONSENT_SERVICE_ALLOWED_HOSTS (" 127.0.0.1:5000, Intranet.example ").
    assert out["urls"] == ["https://consent.example.fi", "http://127.0.0.1:5000", None, None,
                           None, None, None, None, None, None, None,
                           "http://intranet.example/cs", None]
    assert out["keys"] == [True, False, False, False, True, False]


def test_block_metadata_and_plugin_header():
    meta = json.loads((PLUGIN / "blocks" / "consent-settings" / "block.json").read_text())
    assert meta["name"] == "consent-service/consent-settings"
    assert meta["textdomain"] == "consent-service"
    assert (PLUGIN / "blocks" / "consent-settings" / "editor.asset.php").exists()
    header = (PLUGIN / "consent-service.php").read_text()[:1500]
    for line in ("Requires at least: 6.1", "Requires PHP:      8.1",
                 "Text Domain:       consent-service"):
        assert line in header
    assert (PLUGIN / "languages" / "consent-service.pot").exists()


def test_editor_script_parses():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed")
    res = subprocess.run([node, "--check", str(PLUGIN / "blocks" / "consent-settings" /
                                               "editor.js")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr


def test_translations_exist():
    assert {p.name for p in PO_FILES} >= {"consent-service-fi.po", "consent-service-sv_SE.po"}


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.name)
def test_translation_covers_the_template(po):
    pot = {k for k in read_po(LANGUAGES / "consent-service.pot") if k[1]}
    entries = {k: e["msgstr"] for k, e in read_po(po).items()}
    header = entries[(None, "")][0]
    locale = po.stem.removeprefix("consent-service-")  # WordPress loads <domain>-<locale>.mo
    assert f"Language: {locale}\n" in header
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header
    missing = sorted(k[1] for k in pot if not all(entries.get(k) or [""]))
    assert not missing, f"{po.name} lacks translations of {missing}"
    placeholder = re.compile(r"%(?:\d+\$)?[sdf]")
    for key in pot:
        for msgstr in entries[key]:
            assert sorted(placeholder.findall(msgstr)) == sorted(placeholder.findall(key[1])), \
                (po.name, key[1], msgstr)


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.name)
def test_committed_mo_is_up_to_date(po, tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt not installed (Debian gettext)")
    out = tmp_path / "out.mo"
    res = subprocess.run([msgfmt, "--check", f"--output-file={out}", str(po)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert out.read_bytes() == po.with_suffix(".mo").read_bytes(), \
        f"{po.with_suffix('.mo').name} is stale: run build.sh"


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.name)
def test_block_editor_translations_are_up_to_date(po):
    """The block editor reads its strings from JSON, not from the .mo: one file per locale,
    named for the script handle WordPress gives the block's editorScript."""
    doc = json.loads(i18n.json_path(po).read_text(encoding="utf-8"))
    assert i18n.json_path(po).read_text(encoding="utf-8") == i18n.render(po), \
        f"{i18n.json_path(po).name} is stale: run build.sh"
    messages = doc["locale_data"]["messages"]
    editor_js = (PLUGIN / "blocks" / "consent-settings" / "editor.js").read_text()
    used = set(re.findall(r"__\(\s*'((?:[^'\\]|\\.)*)'\s*,\s*'consent-service'", editor_js))
    assert used and used == set(messages) - {""}
    assert all(messages[m][0] and messages[m][0] != m for m in used if m != "Consent Service")
    assert messages[""]["lang"] == po.stem.removeprefix("consent-service-")
    handle = "consent-service-consent-settings-editor-script"
    assert handle in (PLUGIN / "includes" / "class-consent-service-settings-button.php").read_text()


def test_build_makes_an_installable_zip(tmp_path):
    res = subprocess.run(["bash", str(WP_DIR / "build.sh")], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    with zipfile.ZipFile(WP_DIR / "dist" / "consent-service.zip") as z:
        names = z.namelist()
        assert all(n.startswith("consent-service/") for n in names)
        for required in ("consent-service.php", "uninstall.php", "readme.txt",
                         "blocks/consent-settings/block.json", "languages/consent-service.pot",
                         "languages/consent-service-fi.mo",
                         "languages/consent-service-sv_SE-consent-service-consent-settings-"
                         "editor-script.json",
                         "languages/consent-service-sv_SE.mo"):
            assert "consent-service/" + required in names
        z.extractall(tmp_path)
    assert (tmp_path / "consent-service" / "consent-service.php").read_bytes() == \
        (PLUGIN / "consent-service.php").read_bytes()


def test_buffer_benchmark_runs():
    """bench_buffer.php measures the real rewrite (the figure itself is reported, not asserted:
    timings on a shared CI machine are no test)."""
    php = need("php", "php-cli")
    res = subprocess.run([php, str(HERE / "bench_buffer.php"), str(PLUGIN), "5"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    out = json.loads(res.stdout)
    assert out["page_bytes"] >= 200 * 1024 and out["tags_rewritten"] == 10
    assert out["rewrite_ms"] > 0 and out["baseline_ms"] >= 0
