"""Passwords, API keys, client-address minimisation, canonical hashing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import threading
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

import rfc8785
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask.sessions import SecureCookieSessionInterface

from .concurrency import run_blocking

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return run_blocking(_hasher.hash, password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return run_blocking(_hasher.verify, stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_site_key() -> str:
    return "pk_" + secrets.token_urlsafe(18)


class _RandomPool:
    """os.urandom bytes fetched 4 KiB at a time and handed out in slices.

    Every os.urandom call releases the GIL around getrandom(); under load each release is a
    chance for another of the worker's threads to take it, and the consent POST then waits
    for the GIL to come back (a context switch, and up to the switch interval). The bytes
    are the kernel's CSPRNG output all the same. A forked child drops the parent's buffer,
    so two workers never hand out the same bytes."""

    SIZE = 4096

    def __init__(self):
        self._lock = threading.Lock()
        self._buf = b""
        self._pos = 0
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._buf, self._pos = b"", 0

    def take(self, n: int) -> bytes:
        with self._lock:
            if self._pos + n > len(self._buf):
                self._buf, self._pos = os.urandom(max(self.SIZE, n)), 0
            chunk = self._buf[self._pos:self._pos + n]
            self._pos += n
            return chunk


_random_pool = _RandomPool()


def new_receipt_id() -> str:
    # 18 random bytes, URL-safe base64 without padding: what secrets.token_urlsafe(18) gives
    return "rc_" + base64.urlsafe_b64encode(_random_pool.take(18)).rstrip(b"=").decode()


def new_api_key() -> tuple[str, str, str]:
    """Return (full key shown once, prefix stored in clear, SHA-256 of the key)."""
    prefix = "sk_" + secrets.token_hex(6)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    return key, prefix, sha256_hex(key)


def api_key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(sha256_hex(key), stored_hash)


def sha256_hex(data: str | bytes) -> str:
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def _jcs_plain(value) -> bool:
    """True when json.dumps(sort_keys) already gives the RFC 8785 bytes: no floats (JCS
    formats numbers as ECMAScript does), integers exact as IEEE doubles, ASCII keys (JCS
    sorts by UTF-16 code units, Python by code points; the two agree on ASCII)."""
    if value is None or value is True or value is False or type(value) is str:
        return True
    if type(value) is int:
        return -(2**53 - 1) <= value <= 2**53 - 1
    if type(value) is dict:
        return all(type(k) is str and k.isascii() and _jcs_plain(v) for k, v in value.items())
    if type(value) is list:
        return all(_jcs_plain(v) for v in value)
    return False


def canonical_json(value) -> bytes:
    """RFC 8785 (JCS) serialisation: the byte string every content and chain hash is over.

    Chain records are plain (strings, small integers, booleans), and for those the C
    encoder gives the same bytes as rfc8785's pure-Python one at a sixth of the cost (a
    consent POST hashes two). tests/test_fast_paths.py compares them on generated values."""
    if _jcs_plain(value):
        try:
            return json.dumps(value, sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False).encode()
        except UnicodeEncodeError:  # a lone surrogate: rfc8785 decides what to do with it
            pass
    return rfc8785.dumps(value)


def canonical_hash(value) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


_V4_24 = (2**32 - 1) ^ (2**8 - 1)  # keep the first 24 of 32 bits
_V6_48 = (2**128 - 1) ^ (2**80 - 1)  # keep the first 48 of 128 bits


def minimise_ip(address: str | None, mode: str, secret: str) -> str | None:
    """Never keep a full address: truncate IPv4 to /24 and IPv6 to /48, or a keyed hash."""
    if not address or mode == "none":
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if mode == "hash":
        return "h:" + hmac.new(secret.encode(), ip.packed, hashlib.sha256).hexdigest()[:32]
    # Masking the integer gives what str(ip_network(..., strict=False)) gives, at a fifth
    # of the cost, and drops an IPv6 zone ("%eth0") that ip_network would refuse.
    if ip.version == 4:
        return f"{ipaddress.IPv4Address(int(ip) & _V4_24)}/24"
    return f"{ipaddress.IPv6Address(int(ip) & _V6_48)}/48"


@lru_cache(maxsize=2048)
def ua_family(user_agent: str | None) -> str | None:
    if not user_agent:
        return None
    from ua_parser import parse

    result = parse(user_agent[:1000])
    if result.user_agent is None:
        return "Other"
    return result.user_agent.family[:80]


def strip_url(url: str | None) -> str | None:
    """Keep scheme, host, port and path; drop user:password@, query and fragment (they
    carry credentials and personal data)."""
    if not url:
        return None
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]   # userinfo ends at the last "@" of netloc
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))[:2000]


def drop_userinfo(url: str | None) -> str | None:
    """The URL without user:password@ (for URLs typed into admin forms before storage)."""
    if not url or "@" not in url:
        return url
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url  # the form's URL validator refuses it
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


_private_create = threading.Lock()


def private_file(path) -> None:
    """Create `path` (or tighten it) as 0600 before anything opens it: SQLite gives its
    -wal, -shm and -journal files the database file's mode, so they stay private too.

    An existing file is never opened: closing any descriptor of it drops every POSIX lock
    this process holds on it, SQLite's included, and another process's connection then
    deletes the WAL this process still commits into (201s without a row)."""
    with _private_create:  # a thread that finds it existing connects after our close
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o600)
            return
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)


class SessionOnlyWithCookie(SecureCookieSessionInterface):
    """Flask's cookie session, minus its per-request signer when there is no cookie.

    Flask builds the signing serializer (key derivation included) before it looks for the
    cookie, on every request. Visitors' requests (config, loader, consent POST) never carry
    an admin session cookie, so for them an empty session is the same answer at no cost."""

    def open_session(self, app, request):
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def _private_sqlite_on_connect(dialect, conn_rec, cargs, cparams):
    # Before sqlite3 opens (and perhaps creates) the file: created 0600, never 0644.
    if dialect.name == "sqlite" and cargs and isinstance(cargs[0], str):
        database = cargs[0]
        if database and database != ":memory:" and not database.startswith("file:") \
                and os.path.isdir(os.path.dirname(os.path.abspath(database))):
            private_file(database)
            for suffix in ("-wal", "-shm", "-journal"):
                if os.path.exists(database + suffix):
                    os.chmod(database + suffix, 0o600)


def _install_sqlite_modes() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "do_connect", _private_sqlite_on_connect):
        event.listen(Engine, "do_connect", _private_sqlite_on_connect)


_install_sqlite_modes()
