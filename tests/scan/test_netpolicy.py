"""The scan's address policy, at the function level (nothing here connects anywhere)."""

from __future__ import annotations

import pytest

from consent_service.scan import netpolicy
from consent_service.scan.egress import EgressProxy

BLOCKED = [
    ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("::1", "loopback"),
    ("10.0.0.1", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "cgnat"), ("100.127.255.255", "cgnat"),
    ("169.254.1.1", "link-local"), ("fe80::1", "link-local"), ("fe80::1%2", "link-local"),
    ("169.254.169.254", "metadata"), ("169.254.170.2", "metadata"),
    ("100.100.100.200", "metadata"), ("168.63.129.16", "metadata"),
    ("fd00:ec2::254", "metadata"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("0.1.2.3", "unspecified"), ("::", "unspecified"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"), ("192.0.2.1", "reserved"),
    ("198.18.0.1", "reserved"), ("198.51.100.1", "reserved"), ("203.0.113.1", "reserved"),
    ("192.0.0.8", "reserved"), ("2001:db8::1", "reserved"), ("100::1", "reserved"),
    ("fc00::1", "unique-local"), ("fd12:3456::1", "unique-local"),
    ("fec0::1", "site-local"), ("64:ff9b:1::1", "nat64-local"), ("2001::1", "teredo"),
    # IPv4 inside IPv6: mapped, compatible, NAT64 and 6to4 forms
    ("::ffff:127.0.0.1", "loopback (in an IPv6 address)"),
    ("::ffff:7f00:1", "loopback (in an IPv6 address)"),
    ("::ffff:169.254.169.254", "metadata (in an IPv6 address)"),
    ("::ffff:10.0.0.1", "private (in an IPv6 address)"),
    ("::127.0.0.1", "loopback (in an IPv6 address)"),
    ("::10.1.2.3", "private (in an IPv6 address)"),
    ("64:ff9b::7f00:1", "loopback (in an IPv6 address)"),
    ("64:ff9b::a9fe:a9fe", "metadata (in an IPv6 address)"),
    ("2002:7f00:1::", "loopback (in an IPv6 address)"),
    ("2002:c0a8:101::1", "private (in an IPv6 address)"),
]
PUBLIC = ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "2a00:1450:4001::200e",
          "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]


@pytest.mark.parametrize(("address", "reason"), BLOCKED)
def test_blocked_ranges(address, reason):
    assert netpolicy.address_blocked(address) == reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert netpolicy.address_blocked(address) is None


def test_operator_allows_named_ranges_but_never_metadata_or_unspecified():
    allow = netpolicy.parse_networks("10.20.0.0/16, fd12:3456::/32 127.0.0.2/32")
    assert netpolicy.address_blocked("10.20.1.2", allow) is None
    assert netpolicy.address_blocked("::ffff:10.20.1.2", allow) is None
    assert netpolicy.address_blocked("fd12:3456::9", allow) is None
    assert netpolicy.address_blocked("127.0.0.2", allow) is None
    assert netpolicy.address_blocked("10.21.0.1", allow) == "private"
    assert netpolicy.address_blocked("127.0.0.1", allow) == "loopback"
    wide = netpolicy.parse_networks("0.0.0.0/0 ::/0")
    assert netpolicy.address_blocked("169.254.169.254", wide) == "metadata"
    assert netpolicy.address_blocked("fd00:ec2::254", wide) == "metadata"
    assert netpolicy.address_blocked("0.0.0.0", wide) == "unspecified"


def test_allow_setting_off_by_default_and_checked(monkeypatch):
    monkeypatch.delenv(netpolicy.ALLOW_ENV, raising=False)
    assert netpolicy.allowed_from_env() == ()
    monkeypatch.setenv(netpolicy.ALLOW_ENV, "10.0.0.0/8,not-a-net")
    with pytest.raises(netpolicy.PolicyError, match="not-a-net"):
        netpolicy.allowed_from_env()


@pytest.mark.parametrize(("url", "host"), [
    ("http://127.0.0.1:8000\\@a.example/", "127.0.0.1"),
    ("http://0x7f.0.0.1/", "127.0.0.1"), ("http://0177.0.0.1/", "127.0.0.1"),
    ("http://127.1/", "127.0.0.1"), ("http://2130706433/", "127.0.0.1"),
    ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1"), ("http://LOCALHOST./", "localhost."),
    ("http://a.example\\@b.example/", "a.example"), ("not a url", None),
])
def test_url_host_is_the_host_chromium_uses(url, host):
    assert netpolicy.url_host(url) == host


def test_names_with_any_blocked_address_are_blocked_and_pinned():
    calls = []

    def resolver(host):
        calls.append(host)
        return {"mixed.example": ["93.184.215.14", "10.0.0.5"],
                "public.example": ["93.184.215.14"]}.get(host, [])

    proxy = EgressProxy(resolver=resolver)  # never started: pin() is the policy alone
    assert proxy.pin("mixed.example") == (None, "private address 10.0.0.5")
    assert proxy.pin("public.example") == ("93.184.215.14", None)
    assert proxy.pin("PUBLIC.example") == ("93.184.215.14", None)
    assert proxy.pin("169.254.169.254") == (None, "metadata")
    assert proxy.pin("nowhere.example")[1] == "net::ERR_NAME_NOT_RESOLVED"
    assert calls == ["mixed.example", "public.example", "nowhere.example"]
