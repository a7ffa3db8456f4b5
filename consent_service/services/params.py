"""Query-parameter parsing shared by the admin views: each value is checked against what
the column behind it can hold, so a hostile value is a form error, never a 500.

str.isdigit() accepts "²" and "١", which int() then refuses or reads as another number;
integers past the column overflow SQLite's binding and PostgreSQL's; dates at the end of
the calendar overflow the day arithmetic; NUL is refused by PostgreSQL's protocol."""

from __future__ import annotations

import re
from datetime import date

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
# Consent and audit records exist between these days; outside them a filter is a typo.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)
_ASCII_INT = re.compile(r"[0-9]{1,19}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def parse_int(raw: str | None, name: str, errors: dict, *, low: int = 1,
              high: int = INT32_MAX) -> int | None:
    """An ASCII whole number in [low, high]; blank is None; anything else goes to errors."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if _ASCII_INT.fullmatch(raw) and low <= int(raw) <= high:
        return int(raw)
    errors[name] = [f"a whole number from {low} to {high}"]
    return None


def parse_day(raw: str | None, name: str, errors: dict) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["use YYYY-MM-DD"]
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        errors[name] = [f"a day from {FIRST_DAY} to {LAST_DAY}"]
        return None
    return day


def parse_token(raw: str | None, name: str, errors: dict) -> str | None:
    """An identifier such as a receipt id: letters, digits, _ and -, at most 64."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if _TOKEN.fullmatch(raw):
        return raw
    errors[name] = ["letters, digits, _ and - only (at most 64)"]
    return None


def is_token(raw: str) -> bool:
    return bool(_TOKEN.fullmatch(raw))


def bounded_int_converter():
    """Werkzeug's <int:…> with a ceiling: /…/2147483648 is a 404, not an overflow while
    the id is bound into the query. Every <int:> in a route is a row id or a policy version,
    a 32-bit INTEGER column on PostgreSQL (SQLite refuses ints past 64 bits)."""
    from werkzeug.routing import IntegerConverter

    class BoundedInt(IntegerConverter):
        def __init__(self, map, fixed_digits=0, min=None, max=INT32_MAX, signed=False):
            super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    return BoundedInt
