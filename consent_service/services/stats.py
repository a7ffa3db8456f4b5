"""Consent statistics per day: action counts and per-category opt-in rates.

Completed UTC days are aggregated once into `consent_daily` (consent events are insert-only
and `recorded_at` is the server clock, so a finished day never changes); the days after
`consent_rollup_state.rolled_until` are aggregated live. A 90-day range thus reads at most
~360 rollup rows plus today's events, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, case, cast, func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ConsentDaily, ConsentEvent, ConsentRollupState, Site
from .consent_log import day_start
from .consents import ACTIONS

OPTIONAL = ("preferences", "analytics", "marketing")
# A day is final this long after it ended (a transaction stamped 23:59:59 may commit later).
GRACE = timedelta(minutes=10)


def _day_expr():
    if db.engine.dialect.name == "postgresql":
        return cast(func.timezone("UTC", ConsentEvent.recorded_at), Date)
    return func.date(ConsentEvent.recorded_at)      # SQLite stores 'YYYY-MM-DD HH:MM:SS'


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _live(site_id: int, start: date, end: date) -> list[dict]:
    """Aggregate events of [start, end) straight from consent_event."""
    day = _day_expr().label("day")
    cols = [day, ConsentEvent.action, func.count().label("events")]
    for cat in OPTIONAL:
        flag = ConsentEvent.choices[cat].as_boolean()
        cols.append(func.sum(case((flag, 1), else_=0)).label(f"{cat}_yes"))
        cols.append(func.count(flag).label(f"{cat}_seen"))
    # Placeholder clicks (action embed) are no category choice: not counted here.
    query = (select(*cols).where(ConsentEvent.site_id == site_id, ConsentEvent.action != "embed",
                                 ConsentEvent.recorded_at >= day_start(start),
                                 ConsentEvent.recorded_at < day_start(end))
             .group_by(day, ConsentEvent.action))
    return [{**row._asdict(), "day": _as_date(row.day)} for row in db.session.execute(query)]


def last_final_day(now: datetime | None = None) -> date:
    """The first day that is not final yet."""
    now = now or datetime.now(UTC)
    return (now - GRACE).date()


def roll_up(site_id: int, now: datetime | None = None) -> date:
    """Aggregate the finished days not yet in consent_daily; returns rolled_until."""
    until = last_final_day(now)
    state = db.session.get(ConsentRollupState, site_id)
    if state is not None and state.rolled_until >= until:
        return state.rolled_until
    if state is None:
        first = db.session.scalar(select(func.min(ConsentEvent.recorded_at))
                                  .where(ConsentEvent.site_id == site_id))
        begin = first.date() if first else until
    else:
        begin = state.rolled_until
    try:
        if begin < until:
            db.session.add_all(ConsentDaily(site_id=site_id, **row)
                               for row in _live(site_id, begin, until))
        if state is None:
            db.session.add(ConsentRollupState(site_id=site_id, rolled_until=until))
        else:
            state.rolled_until = until
        db.session.commit()
    except IntegrityError:
        db.session.rollback()      # another request rolled the same days up first
    return until


def roll_up_all(now: datetime | None = None) -> list[tuple[str, date]]:
    """roll_up for every site: (site_key, rolled_until) each."""
    sites = db.session.execute(select(Site.id, Site.site_key).order_by(Site.id)).all()
    return [(site_key, roll_up(site_id, now)) for site_id, site_key in sites]


def daily_stats(site: Site, start: date, end: date, now: datetime | None = None) -> dict:
    """Per day (start..end inclusive): counts per action and category opt-in rates."""
    rolled = roll_up(site.id, now)
    stop = end + timedelta(days=1)
    rows = []
    if start < rolled:
        query = select(ConsentDaily).where(ConsentDaily.site_id == site.id,
                                           ConsentDaily.day >= start,
                                           ConsentDaily.day < min(stop, rolled))
        rows += [{c: getattr(r, c) for c in _COLUMNS} for r in db.session.scalars(query)]
    if stop > rolled:
        rows += _live(site.id, max(start, rolled), stop)
    days = {start + timedelta(days=i): _empty() for i in range((end - start).days + 1)}
    totals = _empty()
    for row in rows:
        for bucket in (days[row["day"]], totals):
            bucket[row["action"]] = bucket.get(row["action"], 0) + row["events"]
            bucket["total"] += row["events"]
            for cat in OPTIONAL:
                bucket["categories"][cat]["granted"] += row[f"{cat}_yes"] or 0
                bucket["categories"][cat]["seen"] += row[f"{cat}_seen"] or 0
    for bucket in (*days.values(), totals):
        for entry in bucket["categories"].values():
            entry["rate"] = round(entry["granted"] / entry["seen"], 4) if entry["seen"] else None
    return {"site_key": site.site_key, "from": start.isoformat(), "to": end.isoformat(),
            "days": [{"date": d.isoformat(), **v} for d, v in days.items()],
            "totals": totals}


_COLUMNS = ("day", "action", "events", *(f"{c}_{k}" for c in OPTIONAL for k in ("yes", "seen")))


def _empty() -> dict:
    return {**dict.fromkeys(ACTIONS, 0), "total": 0,
            "categories": {c: {"granted": 0, "seen": 0, "rate": None} for c in OPTIONAL}}
