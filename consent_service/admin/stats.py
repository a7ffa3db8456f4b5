"""Statistics: per-day actions and category opt-in rates as SVG chart, table and JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import jsonify, render_template, request

from ..services import params
from ..services.consents import ACTIONS
from ..services.errors import Invalid
from ..services.policies import current_policy
from ..services.stats import daily_stats
from . import bp
from .common import site_or_404

DEFAULT_DAYS = 30
MAX_DAYS = 731
COLOURS = {"accept_all": "#1b6e3a", "custom": "#2f5fa8", "reject_all": "#8a3b12",
           "withdraw": "#6b3fa0"}
W, H, PAD_L, PAD_B, PAD_T = 760, 260, 48, 34, 12


def date_range(args) -> tuple[date, date]:
    errors: dict = {}
    end = params.parse_day(args.get("to"), "to", errors) or datetime.now(UTC).date()
    start = params.parse_day(args.get("from"), "from", errors)
    if errors:
        raise Invalid("Dates are YYYY-MM-DD, from 2000 to 2999", errors)
    start = start or max(end - timedelta(days=DEFAULT_DAYS - 1), params.FIRST_DAY)
    if start > end:
        raise Invalid("The start is after the end", {"from": [start.isoformat()]})
    if (end - start).days >= MAX_DAYS:
        raise Invalid(f"At most {MAX_DAYS} days", {"from": [start.isoformat()]})
    return start, end


def _nice_max(value: int) -> int:
    """A round axis maximum divisible into four equal ticks."""
    top = max(value, 4)
    step = 4 * 10 ** max(len(str(top)) - 2, 0)
    return ((top + step - 1) // step) * step


def chart(days: list[dict]) -> dict:
    """Geometry of a stacked bar chart (one bar per day, one stack per action)."""
    top = _nice_max(max((d["total"] for d in days), default=0))
    inner_w, inner_h = W - PAD_L - 8, H - PAD_B - PAD_T
    slot = inner_w / max(len(days), 1)
    bar_w = max(slot * 0.75, 1)
    bars = []
    for i, d in enumerate(days):
        x = PAD_L + i * slot + (slot - bar_w) / 2
        y = PAD_T + inner_h
        for action in ACTIONS:
            h = inner_h * d[action] / top
            if d[action]:
                y -= h
                bars.append({"x": round(x, 2), "y": round(y, 2), "w": round(bar_w, 2),
                             "h": round(h, 2), "fill": COLOURS[action],
                             "title": f"{d['date']}: {action} {d[action]}"})
    ticks = [{"y": round(PAD_T + inner_h - inner_h * k / 4, 2), "label": top * k // 4}
             for k in range(5)]
    every = max(1, len(days) // 8)
    labels = [{"x": round(PAD_L + i * slot + slot / 2, 2), "label": d["date"][5:]}
              for i, d in enumerate(days) if i % every == 0]
    return {"w": W, "h": H, "bars": bars, "ticks": ticks, "labels": labels,
            "left": PAD_L, "right": W - 8, "base": PAD_T + inner_h, "colours": COLOURS}


@bp.get("/sites/<site_key>/stats")
def stats(site_key):
    site = site_or_404(site_key)
    error = None
    try:
        start, end = date_range(request.args)
    except Invalid as exc:
        error = exc.message
        end = datetime.now(UTC).date()
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    data = daily_stats(site, start, end)
    return render_template("admin/stats.html", site=site, data=data, chart=chart(data["days"]),
                           actions=ACTIONS, categories=shown_categories(site, data),
                           error=error), (422 if error else 200)


def shown_categories(site, data: dict) -> list[str]:
    """The site's optional categories now, and any that was decided on in the range (an older
    policy had it); a category the site never had is not a row of zeros."""
    policy = current_policy(site)
    has = {c["id"] for c in (policy.content.get("categories", []) if policy else [])}
    return [cat for cat, c in data["totals"]["categories"].items() if cat in has or c["seen"]]


@bp.get("/sites/<site_key>/stats.json")
@bp.get("/api/sites/<site_key>/stats")
def stats_json(site_key):
    site = site_or_404(site_key)
    start, end = date_range(request.args)
    return jsonify(daily_stats(site, start, end))
