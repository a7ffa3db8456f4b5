"""The admin's notice view shows, for each finding, the sentence that triggered it."""

from __future__ import annotations

import html as html_lib
import re

from .conftest import csrf_token

NOTICE = """Evästeet

Tällä sivustolla käytetään evästeitä kävijätilastojen keräämiseen. Jos et hyväksy
evästeitä, voit estää ne selaimesi asetuksista milloin tahansa. Kysy lisää asiakaspalvelusta.
"""


def test_finding_shows_its_whole_sentence(login, published_site):
    client = login("editor")
    url = f"/admin/sites/{published_site.site_key}/notices/new"
    resp = client.post(url, data={"csrf_token": csrf_token(client, url), "text": NOTICE},
                       content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[-500:]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    links = [html_lib.unescape(m) for m in
             re.findall(r'class="ev-link finding-sentence">“([^”]*)”', page)]
    sentence = "Jos et hyväksy evästeitä, voit estää ne selaimesi asetuksista milloin tahansa."
    assert sentence in links
    marked = [html_lib.unescape(m) for m in re.findall(r"<mark[^>]*>([^<]*)</mark>", page)]
    assert any(sentence in m for m in marked)
