from pathlib import Path

import pytest

from consent_service import catalog as cat
from consent_service.catalog import CatalogError, build_catalog, load_catalog

CONTRACT_IDS = """google-analytics google-tag-manager google-ads google-doubleclick google-recaptcha
google-maps youtube vimeo facebook-pixel facebook-social instagram linkedin-insight twitter-x
tiktok-pixel pinterest hubspot leadfeeder mailchimp hotjar microsoft-clarity microsoft-ads matomo
snoobi adobe-analytics vwo intercom zendesk giosg adform criteo siteimprove trustpilot firebase
woocommerce wordpress shopify klarna stripe paytrail""".split()


def test_contract_ids_present_and_tracking_never_necessary():
    catalog = load_catalog()
    assert len(catalog) >= 40
    for sid in CONTRACT_IDS:
        service = catalog.get(sid)
        assert service is not None, sid
        assert service.source.startswith("https://")
    for sid in ("google-analytics", "hotjar", "facebook-pixel", "intercom", "giosg", "zendesk"):
        assert catalog.get(sid).category != "necessary"


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://www.googletagmanager.com/gtag/js?id=G-XYZ", "google-analytics"),
        ("https://region1.google-analytics.com/g/collect", "google-analytics"),
        ("https://www.googletagmanager.com/gtm.js?id=GTM-1", "google-tag-manager"),
        ("https://connect.facebook.net/en_US/fbevents.js", "facebook-pixel"),
        ("https://www.facebook.com/tr?id=1&ev=PageView", "facebook-pixel"),
        ("https://snap.licdn.com/li.lms-analytics/insight.min.js", "linkedin-insight"),
        ("https://px.ads.linkedin.com/collect", "linkedin-insight"),
        ("https://js.hs-scripts.com/123.js", "hubspot"),
        ("https://sc.lfeeder.com/lftracker_v1.js", "leadfeeder"),
        ("https://static.hotjar.com/c/hotjar-1.js", "hotjar"),
        ("https://www.youtube.com/embed/abc", "youtube"),
        ("https://www.youtube-nocookie.com/embed/abc", "youtube"),
        ("https://player.vimeo.com/video/1", "vimeo"),
        ("https://www.google.com/maps/embed?pb=x", "google-maps"),
        ("//maps.googleapis.com/maps/api/js", "google-maps"),
        ("https://analytics.example.fi/matomo.js", "matomo"),
        ("https://www.example.fi/app.js", None),
        ("https://www.google.com/search", None),
    ],
)
def test_match_url(url, expected):
    service = load_catalog().match_url(url)
    assert (service.id if service else None) == expected


@pytest.mark.parametrize(
    "name,expected",
    [("_ga", "google-analytics"), ("_ga_ABC123", "google-analytics"), ("_gid", "google-analytics"),
     ("_fbp", "facebook-pixel"), ("hubspotutk", "hubspot"), ("_pk_id.3.ab12", "matomo"),
     ("_hjSessionUser_99", "hotjar"), ("my_own_cookie", None)],
)
def test_match_cookie(name, expected):
    service = load_catalog().match_cookie(name)
    assert (service.id if service else None) == expected


def test_hosts_by_category():
    hosts = load_catalog().all_hosts_by_category()
    assert "connect.facebook.net" in hosts["marketing"]
    assert "*.google-analytics.com" in hosts["analytics"]


def test_extra_catalog_from_env(tmp_path: Path, monkeypatch):
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        """services:
  - id: local-tracker
    name: Local stand-in
    vendor: Test
    category: analytics
    aliases: {en: [Local Tracker]}
    cookies: [{name: _lt, lifetime: 1 day}]
    hosts: [tracker.localhost]
    vendor_country: FI
    privacy_policy_url: https://example.invalid/privacy
    source: https://example.invalid/cookies
""",
        encoding="utf-8",
    )
    monkeypatch.setenv(cat.EXTRA_ENV, str(extra))
    catalog = load_catalog()
    assert catalog.get("local-tracker").category == "analytics"
    assert catalog.match_url("http://tracker.localhost:5001/t.js").id == "local-tracker"
    assert catalog.get("google-analytics") is not None


@pytest.mark.parametrize(
    "body,message",
    [
        ("services: [{id: Bad Id}]", "missing or empty"),
        ("services:\n  - {id: x, name: X, vendor: V, category: tracking, vendor_country: US,"
         " privacy_policy_url: 'https://a', source: 'https://a', aliases: {en: [X]}}", "category"),
        ("services:\n  - {id: x, name: X, vendor: V, category: necessary, vendor_country: US,"
         " privacy_policy_url: 'https://a', source: 'https://a', aliases: {en: [X]},"
         " consent_mode: [analytics_storage]}", "cannot be 'necessary'"),
        ("services:\n  - {id: x, name: X, vendor: V, category: analytics, vendor_country: USA,"
         " privacy_policy_url: 'https://a', source: 'https://a', aliases: {en: [X]}}", "ISO"),
        ("nope: 1", "services"),
        ("services: [", "invalid YAML"),
    ],
)
def test_validation_errors(tmp_path: Path, body, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        build_catalog([path])


def test_catalog_parsed_once_by_concurrent_first_callers(monkeypatch):
    import threading

    calls = []
    real_parse = cat.parse_catalog_file

    def counting_parse(path):
        calls.append(path)
        return real_parse(path)

    monkeypatch.setattr(cat, "parse_catalog_file", counting_parse)
    cat.clear_cache()
    start = threading.Barrier(6)
    results = []

    def first_call():
        start.wait()
        results.append(load_catalog())

    threads = [threading.Thread(target=first_call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cat.clear_cache()
    assert len(calls) == 1 and len({id(c) for c in results}) == 1


def test_libyaml_loader_reads_the_catalog_as_the_python_one_does():
    import yaml

    text = Path(cat.DEFAULT_PATH).read_text(encoding="utf-8")
    assert yaml.load(text, Loader=cat.SafeLoader) == yaml.load(text, Loader=yaml.SafeLoader)
