"""The admin JSON API's hand-written OpenAPI document (the schemathesis run reads it)
names only routes that exist, and every admin JSON route is in it."""

from __future__ import annotations

import re

from consent_service.admin.openapi import SPEC


def _rule_to_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def test_document_and_routes_agree(app):
    rules = {_rule_to_path(r.rule): r for r in app.url_map.iter_rules()
             if r.rule.startswith("/admin")}
    json_routes = {p for p in rules if p.startswith("/admin/api/") or p.endswith(".json")}
    json_routes -= {"/admin/api/openapi.json"}
    assert set(SPEC["paths"]) <= set(rules)
    assert json_routes <= set(SPEC["paths"]), json_routes - set(SPEC["paths"])
    for path, ops in SPEC["paths"].items():
        assert set(ops) <= {m.lower() for m in rules[path].methods}


def test_documented_filters_are_the_ones_read(login, published_site):
    client = login("viewer")
    key = published_site.site_key
    params = [p["name"] for p in SPEC["paths"]["/admin/api/sites/{site_key}/consents"]["get"]
              ["parameters"] if p["in"] == "query"]
    for name in params:
        if name == "cursor":
            continue
        resp = client.get(f"/admin/api/sites/{key}/consents", query_string={name: "bogus!"})
        assert resp.status_code == 422, name
        assert name in resp.get_json()["errors"], name
