"""Server-side admin sessions: the signed cookie carries a random token, the database the
token's hash. Logout, a password change and "log out everywhere" delete rows, and a cookie
whose row is gone opens nothing, however long the browser keeps it."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from ..extensions import db
from ..models import AdminSession, AdminUser, utcnow
from ..security import minimise_ip, sha256_hex, ua_family
from .audit import record

IDLE_TIMEOUT = timedelta(hours=12)        # unused this long, a session is over
MAX_AGE = timedelta(days=14)              # and every session ends after this, used or not
TOUCH_EVERY = timedelta(minutes=1)        # last_seen_at is written at most this often


def start(user: AdminUser, *, user_agent: str | None, remote_addr: str | None,
          secret: str) -> str:
    """A new session for `user`; returns the token for the cookie (shown nowhere else)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(AdminSession(
        user_id=user.id, token_hash=sha256_hex(token), created_at=now, last_seen_at=now,
        ua_family=ua_family(user_agent),
        # An address helps the user tell sessions apart; /24 (or a keyed hash) is enough.
        client_ip=minimise_ip(remote_addr, "truncate", secret)))
    _purge_expired(user.id, now)
    db.session.commit()
    return token


def _expired(row: AdminSession, now: datetime) -> bool:
    return now - row.last_seen_at > IDLE_TIMEOUT or now - row.created_at > MAX_AGE


def _purge_expired(user_id: int, now: datetime) -> None:
    db.session.execute(delete(AdminSession).where(
        AdminSession.user_id == user_id,
        (AdminSession.last_seen_at < now - IDLE_TIMEOUT)
        | (AdminSession.created_at < now - MAX_AGE)))


def lookup(token: object) -> tuple[AdminSession, AdminUser] | None:
    """The live session and its user for a cookie's token, else None. One indexed query;
    a write only when last_seen_at is over a minute old (or the session has expired)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    found = db.session.execute(
        select(AdminSession, AdminUser).join(AdminUser, AdminUser.id == AdminSession.user_id)
        .where(AdminSession.token_hash == sha256_hex(token))).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if _expired(row, now):
        db.session.delete(row)
        db.session.commit()
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    return row, user


def end(token: object) -> None:
    """Logout: this browser's session is gone."""
    if isinstance(token, str):
        db.session.execute(delete(AdminSession).where(
            AdminSession.token_hash == sha256_hex(token)))
    db.session.commit()


def end_one(user: AdminUser, session_id: int) -> bool:
    """End one of the user's own sessions (from the account page); False if not theirs."""
    row = db.session.get(AdminSession, session_id)
    if row is None or row.user_id != user.id:
        return False
    db.session.delete(row)
    record("session.end", user_id=user.id, details={"session": session_id}, commit=False)
    db.session.commit()
    return True


def end_all(user: AdminUser, *, reason: str = "session.end_all") -> int:
    """Log out everywhere: every session of the user, this browser's included."""
    count = db.session.execute(
        delete(AdminSession).where(AdminSession.user_id == user.id)).rowcount
    record(reason, user_id=user.id, details={"sessions": count}, commit=False)
    db.session.commit()
    return count


def active(user: AdminUser) -> list[AdminSession]:
    """The user's sessions that still open the admin, newest first."""
    now = utcnow()
    rows = db.session.scalars(select(AdminSession).where(AdminSession.user_id == user.id)
                              .order_by(AdminSession.last_seen_at.desc(),
                                        AdminSession.id.desc()))
    return [r for r in rows if not _expired(r, now)]
