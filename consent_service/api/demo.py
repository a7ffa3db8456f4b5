"""A demo page that embeds the loader like a WordPress theme would (not in production)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template_string, request

from ..services.sites import get_site

bp = Blueprint("demo", __name__)

PAGE = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<script src="{{ base }}/loader/{{ site.site_key }}.js"></script>
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ site.name }} – demo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
iframe{border:0;width:100%;aspect-ratio:16/9}</style>
<!-- A tracker tag written into the HTML carries type="text/plain" and its category: a
     plain <script src> is fetched by the browser's preload scanner before any script runs.
     The banner turns these into real scripts once the visitor consents to the category. -->
<script type="text/plain" data-category="analytics" async
        src="https://www.googletagmanager.com/gtag/js?id=G-DEMO"></script>
<script type="text/plain" data-category="analytics">
  document.getElementById('analytics-state').textContent = 'analytics script ran';
</script>
</head>
<body>
<h1>{{ site.name }}</h1>
<p>This page loads the consent banner with one script tag. Analytics and marketing wait
for a choice.</p>
<p id="analytics-state">analytics script has not run</p>
<!-- Embeds: data-src, not src, so nothing loads before marketing consent (the banner
     shows a placeholder meanwhile). -->
<iframe data-category="marketing" data-src="https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"
        title="Demo video"></iframe>
<p><a href="#" data-consent-open>Cookie settings</a> ·
   <a href="{{ base }}/demo/privacy">Privacy notice</a></p>
</body>
</html>"""

PRIVACY = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Privacy notice</title>
<h1>Privacy notice (demo)</h1><p>The demo site uses necessary cookies, Google Analytics for
analytics and the Meta Pixel for marketing, each only with your consent.</p></html>"""


@bp.get("/demo/<string:site_key>")
def page(site_key: str):
    site = get_site(site_key)
    base = current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")
    lang = request.args.get("lang", site.languages[0] if site.languages else "en")
    return render_template_string(PAGE, site=site, base=base, lang=lang[:5])


@bp.get("/demo/privacy")
def privacy():
    return PRIVACY
