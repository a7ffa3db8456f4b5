"""What a newcomer sees first: login markup, the embed page, policy texts, statistics."""

from __future__ import annotations

import re


def test_login_inputs_have_no_describedby_none(client):
    html = client.get("/admin/login").get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html
    assert 'aria-describedby="None"' not in html


def test_embed_page_recommends_our_wordpress_plugin(client, login, published_site):
    login("owner")
    html = client.get(f"/admin/sites/{published_site.site_key}/embed").get_data(as_text=True)
    assert "WPCode" not in html and "Insert Headers" not in html
    assert "integrations/wordpress" in html and "Settings → Consent Service" in html
    assert published_site.site_key in html


def test_policy_page_labels_banner_texts_for_people(client, login, published_site):
    login("owner")
    html = client.get(f"/admin/sites/{published_site.site_key}/policies/1").get_data(
        as_text=True)
    terms = re.findall(r"<dt>([^<]*)</dt>", html)
    assert "“Accept all” button" in terms and "Settings title" in terms
    assert not [t for t in terms if re.fullmatch(r"[a-z]+(_[a-z]+)+", t)], terms


def test_stats_lists_only_the_sites_categories(client, login, published_site):
    login("owner")
    html = client.get(f"/admin/sites/{published_site.site_key}/stats").get_data(as_text=True)
    assert "analytics opt-in" in html and "marketing opt-in" in html
    assert "preferences" not in html  # the site has no preferences category


def test_favicon(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    assert resp.data.startswith(b"<svg")
