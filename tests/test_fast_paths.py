"""Fast paths give what the slow, obvious code gives: canonical JSON (RFC 8785, JCS) and
client-address truncation."""

import ipaddress

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from consent_service.security import canonical_json, minimise_ip

scalars = (st.none() | st.booleans() | st.text()
           | st.integers(min_value=-(2**53), max_value=2**53))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


@settings(max_examples=600, deadline=None)
@given(values)
def test_same_bytes_as_rfc8785(value):
    try:
        expected = rfc8785.dumps(value)
    except Exception as exc:  # noqa: BLE001 - then ours must refuse the value too
        try:
            canonical_json(value)
        except Exception as ours:  # noqa: BLE001
            assert type(ours) is type(exc)
            return
        raise AssertionError(f"rfc8785 refused {value!r} but canonical_json did not") from exc
    assert canonical_json(value) == expected


def test_controls_escapes_and_unicode_keys():
    value = {"b": "tab\t nl\n \x01 \x7f quote\" back\\ \u2028 ä €",
             "a": [1, -(2**53 - 1), True, None], "ä": {"\U0001f600": 1, "\uffff": 2}}
    assert canonical_json(value) == rfc8785.dumps(value)


def test_floats_and_unsafe_integers_go_to_rfc8785():
    value = {"x": 1.5, "y": [0.1, 1e21]}
    assert canonical_json(value) == rfc8785.dumps(value)
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical_json({"y": 2**53})


@settings(max_examples=400, deadline=None)
@given(st.ip_addresses())
def test_truncated_address_is_the_network_of_its_prefix(ip):
    prefix = 24 if ip.version == 4 else 48
    expected = str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
    assert minimise_ip(str(ip), "truncate", "k") == expected


def test_truncation_drops_an_ipv6_zone_and_refuses_garbage():
    assert minimise_ip("fe80::1:2:3%eth0", "truncate", "k") == "fe80::/48"
    assert minimise_ip("not-an-ip", "truncate", "k") is None


def test_user_agent_families_come_from_the_compiled_resolver():
    """ua-parser's pure-Python resolver took 2 ms per user agent it had not seen; the
    [regex] extra (pyproject.toml) puts its Rust resolver behind ua_parser.parse."""
    import importlib.util

    from consent_service.security import ua_family

    assert importlib.util.find_spec("ua_parser_rs") is not None
    assert ua_family("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                     "(KHTML, like Gecko) Chrome/131.0.6778.86 Safari/537.36") == "Chrome"
    assert ua_family("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/"
                     "605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 "
                     "Safari/604.1") == "Mobile Safari"
    assert ua_family("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 "
                     "Firefox/140.0") == "Firefox"
    assert ua_family("curl/8.5.0") == "curl"
    assert ua_family("") is None


def test_gunicorn_worker_hook_builds_the_consent_path_before_serving():
    """post_worker_init runs in each new worker before it accepts a connection; it must
    leave the user-agent parser and the consent schema's URL regex built."""
    import runpy
    from pathlib import Path

    from marshmallow import validate

    from consent_service.security import ua_family

    ua_family.cache_clear()
    hooks = runpy.run_path(str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py"))
    hooks["post_worker_init"](None)
    assert ua_family.cache_info().currsize == 1
    assert validate.URL._regex._memoized  # compiled once, shared by every thread


def test_receipt_tokens_skip_zlib_and_old_tokens_still_verify():
    """Receipts are signed without itsdangerous's zlib attempt (zlib releases the GIL);
    a plain URLSafeSerializer reads them, and compressed receipts issued before still load."""
    from itsdangerous import URLSafeSerializer

    from consent_service.services.consents import RECEIPT_SALT, _serializer

    claims = {"rid": "rc_" + "a" * 24, "site": "pk_" + "b" * 24, "seq": 7, "h": "c" * 64}
    token = _serializer("k" * 40).dumps(claims)
    assert not token.startswith(".")  # "." marks a compressed payload
    assert URLSafeSerializer("k" * 40, salt=RECEIPT_SALT).loads(token) == claims
    old = URLSafeSerializer("k" * 40, salt=RECEIPT_SALT).dumps({**claims, "h": "0" * 64})
    assert old.startswith(".")
    assert _serializer("k" * 40).loads(old)["h"] == "0" * 64


def test_receipt_ids_are_random_and_never_shared_with_a_forked_worker():
    import os
    import re

    from consent_service.security import new_receipt_id

    ids = {new_receipt_id() for _ in range(5000)}  # more than one 4 KiB refill
    assert len(ids) == 5000
    assert all(re.fullmatch(r"rc_[A-Za-z0-9_-]{24}", i) for i in ids)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids must not be the parent's buffered bytes
        os.write(write, " ".join(new_receipt_id() for _ in range(3)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 1000).decode().split()
    os.close(read)
    parent = [new_receipt_id() for _ in range(3)]
    assert len(child) == 3 and not set(child) & set(parent)


def test_cookieless_requests_skip_the_session_signer(app, client, published_site, monkeypatch):
    """Visitors' requests carry no session cookie; Flask's session would still build its
    signing serializer for each. Ours does only when the cookie is there."""
    built = []
    original = type(app.session_interface).get_signing_serializer

    def counting(self, flask_app):
        built.append(1)
        return original(self, flask_app)

    monkeypatch.setattr(type(app.session_interface), "get_signing_serializer", counting)
    resp = client.get(f"/api/v1/sites/{published_site.site_key}/config")
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers and built == []
    client.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), "not-a-valid-session")
    assert client.get("/livez").status_code == 200
    assert built  # with a cookie, Flask's own path (which refuses the bad signature)
