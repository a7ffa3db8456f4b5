"""A scan result as JSON, plain text or a self-contained HTML page."""

from __future__ import annotations

import json
from html import escape

VISIT_TITLES = {"before_consent": "Before any choice", "after_accept": "After “accept all”",
                "after_reject": "After “reject all”"}
PRIVATE_KEYS = ("screenshot_png",)


def public(result: dict) -> dict:
    """The JSON document: the result without the embedded screenshot."""
    return {k: v for k, v in result.items() if k not in PRIVATE_KEYS}


def to_json(result: dict) -> str:
    return json.dumps(public(result), ensure_ascii=False, indent=2)


def to_text(result: dict) -> str:
    out = [f"Site scan of {result['url']}", f"  {result['started_at']} → {result['finished_at']}",
           f"  pages: {', '.join(result['pages'])}"]
    b = result["banner"] or {}
    if b.get("found"):
        out.append(f"  banner: {b['cmp']}, reject on first layer: "
                   f"{'yes' if b['reject_on_first_layer'] else 'no'}")
    else:
        out.append("  banner: none found")
    out.append("")
    out.append("Services")
    for s in result["services"] or []:
        flags = []
        if s["declared_in_notice"] is not None:
            flags.append("in notice" if s["declared_in_notice"] else "NOT in notice")
        if s["in_policy"] is not None:
            flags.append("in policy" if s["in_policy"] else "NOT in policy")
        out.append(f"  {s['id']:<22} {s['category']:<12} {', '.join(s['seen_in'])}"
                   + (f"  [{'; '.join(flags)}]" if flags else ""))
    if not result["services"]:
        out.append("  (none)")
    if result["unknown_third_parties"]:
        out.append("")
        out.append("Other third parties")
        for u in result["unknown_third_parties"]:
            out.append(f"  {u['domain']:<30} {u['requests']} requests  {', '.join(u['seen_in'])}")
    out.append("")
    out.append(f"Findings ({len(result['findings'])})")
    for f in result["findings"]:
        out.append(f"  [{f['severity']}] {f['code']}" + (f" {f['service']}" if f["service"]
                                                         else ""))
        out.append(f"      {f['message_en']}")
        if f["language"] != "en":
            out.append(f"      {f['message_local']}")
        if f.get("evidence"):
            out.append(f"      evidence: {f['evidence']}")
    if result.get("blocked"):
        out.append("")
        out.append("Blocked by the scan's network policy (not fetched)")
        for b in result["blocked"]:
            out.append(f"  {b['host']}:{b['port']}  {b['reason']}")
    for note in result.get("notes") or []:
        out.append(f"  note: {note}")
    return "\n".join(out) + "\n"


CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;
color:#1b1f24}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccd}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:13px}
th,td{border:1px solid #d5d8de;padding:.3rem .45rem;text-align:left;vertical-align:top;
word-break:break-all}th{background:#f1f3f6}
.sev{font-weight:600;border-radius:3px;padding:0 .35rem;color:#fff}
.high{background:#b42318}.medium{background:#b54708}.low{background:#4e5ba6}.info{background:#667085}
.shot{max-width:100%;border:1px solid #ccd}.muted{color:#667085}.failed{color:#b42318}
"""


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _visit_html(kind: str, visit: dict | None) -> str:
    title = escape(VISIT_TITLES[kind])
    if visit is None:
        return f"<h3>{title}</h3><p class=muted>Not run: no banner could be answered.</p>"
    reqs = [[escape(r["type"]), escape(r["url"][:300]),
             "<span class=failed>blocked</span>" if r.get("blocked") else
             "<span class=failed>failed</span>" if r["failed"] else "ok",
             "after" if r.get("after_choice") else "before"] for r in visit["requests"]]
    cookies = [[escape(c["name"]), escape(c["domain"]), escape(c["expires"] or "session"),
                "third" if c["third_party"] else "first"] for c in visit["cookies"]]
    return (f"<h3>{title}</h3><p>Services: {escape(', '.join(visit['services']) or 'none')}"
            f" · storage keys: {escape(', '.join(visit['storage']) or 'none')}</p>"
            + _table(["Cookie", "Domain", "Expires", "Party"], cookies)
            + f"<details><summary>{len(reqs)} requests</summary>"
            + _table(["Type", "URL", "Result", "Choice"], reqs) + "</details>")


def to_html(result: dict) -> str:
    b = result["banner"] or {}
    banner = (f"{escape(str(b['cmp']))}; reject on first layer: "
              f"{'yes' if b['reject_on_first_layer'] else 'no'}" if b.get("found")
              else "none found")
    findings = [[f"<span class='sev {f['severity']}'>{escape(f['severity'])}</span>",
                 escape(f["code"]), escape(f["service"] or ""),
                 escape(f["message_en"]) + ("" if f["language"] == "en"
                                            else f"<br><i>{escape(f['message_local'])}</i>"),
                 escape(f.get("evidence") or "")] for f in result["findings"]]
    services = [[escape(s["id"]), escape(s["name"]), escape(s["category"]),
                 escape(", ".join(s["seen_in"])), _yn(s["declared_in_notice"]),
                 _yn(s["in_policy"]), escape(s["evidence"][:200])] for s in result["services"]]
    unknown = [[escape(u["domain"]), str(u["requests"]), escape(", ".join(u["seen_in"]))]
               for u in result["unknown_third_parties"]]
    shot = result.get("screenshot_png")
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>Site scan: {escape(result['url'])}</title><style>{CSS}</style></head><body>",
        f"<h1>Site scan: {escape(result['url'])}</h1>",
        f"<p class=muted>{escape(result['started_at'])} – {escape(result['finished_at'])} · "
        f"pages: {escape(', '.join(result['pages']))} · banner: {banner}</p>",
        f"<h2>Findings ({len(findings)})</h2>",
        _table(["Severity", "Code", "Service", "Message", "Evidence"], findings)
        if findings else "<p>No findings.</p>",
        "<h2>Services</h2>",
        _table(["Id", "Name", "Category", "Seen in", "In notice", "In policy", "Evidence"],
               services) if services else "<p>No catalogued services seen.</p>",
    ]
    if unknown:
        parts += ["<h2>Other third parties</h2>",
                  _table(["Domain", "Requests", "Seen in"], unknown)]
    if result.get("blocked"):
        parts += ["<h2>Blocked by the scan's network policy</h2>",
                  "<p class=muted>Internal addresses the page tried to reach; nothing was "
                  "fetched from them.</p>",
                  _table(["Host", "Port", "Reason"], [[escape(b["host"]), str(b["port"]),
                                                       escape(b["reason"])]
                                                      for b in result["blocked"]])]
    parts.append("<h2>Visits</h2>")
    if shot:
        parts.append("<p>First visit, before any choice:</p>"
                     f"<img class=shot alt='screenshot of the first visit' "
                     f"src='data:image/png;base64,{shot}'>")
    for kind in VISIT_TITLES:
        parts.append(_visit_html(kind, result["visits"].get(kind)))
    for note in result.get("notes") or []:
        parts.append(f"<p class=muted>Note: {escape(note)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _yn(value) -> str:
    return "–" if value is None else ("yes" if value else "<b>no</b>")


def render(result: dict, fmt: str) -> str:
    return {"json": to_json, "text": to_text, "html": to_html}[fmt](result)
