"""Which addresses a site scan may connect to, and URL parsing that agrees with Chromium.

``address_blocked(ip, allow)`` is the one rule the scan's egress proxy applies to every
connection the browser makes; ``parse_url`` is a WHATWG parser (ada), so the host we check
is the host Chromium connects to (``http://127.0.0.1:1\\@a.example/`` is 127.0.0.1 there,
``a.example`` for ``urllib``).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable

import ada_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_ENV = "CONSENT_SCAN_ALLOW_NETWORKS"

# Cloud metadata services. Blocked even inside an operator's allowed ranges: an intranet
# setting should never hand the scanner the machine's credentials.
METADATA = [ipaddress.ip_network(n) for n in (
    "169.254.169.254/32", "169.254.170.2/32", "100.100.100.200/32", "168.63.129.16/32",
    "fd00:ec2::254/128",
)]
# Checked in order; the first match names the reason. Everything else that Python's
# ipaddress does not call global (IANA special-purpose registry) is "reserved".
RANGES: list[tuple[Network, str]] = [(ipaddress.ip_network(n), reason) for n, reason in (
    ("0.0.0.0/8", "unspecified"),
    ("127.0.0.0/8", "loopback"),
    ("10.0.0.0/8", "private"),
    ("172.16.0.0/12", "private"),
    ("192.168.0.0/16", "private"),
    ("100.64.0.0/10", "cgnat"),
    ("169.254.0.0/16", "link-local"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    # Named here too: what ipaddress calls global differs between Python versions.
    ("192.0.0.0/24", "reserved"), ("192.0.2.0/24", "reserved"), ("192.88.99.0/24", "reserved"),
    ("198.18.0.0/15", "reserved"), ("198.51.100.0/24", "reserved"),
    ("203.0.113.0/24", "reserved"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("fc00::/7", "unique-local"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
    ("64:ff9b:1::/48", "nat64-local"),
    ("2001::/32", "teredo"),
    ("100::/64", "reserved"), ("2001:2::/48", "reserved"), ("2001:10::/28", "reserved"),
    ("2001:db8::/32", "reserved"),
)]
# Forms that carry an IPv4 address inside an IPv6 one; the IPv4 address decides.
MAPPED = ipaddress.ip_network("::ffff:0:0/96")
COMPATIBLE = ipaddress.ip_network("::/96")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


class PolicyError(ValueError):
    """A bad operator setting (an unparsable network)."""


def parse_networks(value: str | Iterable[str] | None) -> tuple[Network, ...]:
    """``"10.1.0.0/16, fd12::/48"`` (or a list) → networks; PolicyError on a bad one."""
    if not value:
        return ()
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    out = []
    for item in items:
        try:
            out.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            raise PolicyError(f"{ALLOW_ENV}: not a network: {item!r}") from None
    return tuple(out)


def allowed_from_env() -> tuple[Network, ...]:
    return parse_networks(os.environ.get(ALLOW_ENV))


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, -compatible, NAT64 or 6to4 address stands for."""
    if ip.version != 6:
        return None
    if ip in MAPPED:
        return ip.ipv4_mapped
    if ip in NAT64 or (ip in COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in SIX_TO_FOUR:
        return ip.sixtofour
    return None


def address_blocked(ip: str | IPAddress, allow: Iterable[Network] = ()) -> str | None:
    """Why the scan must not connect to ``ip`` ("loopback", "private", ...), or None."""
    try:
        ip = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    except ValueError:
        return "not-an-address"
    if getattr(ip, "scope_id", None):
        ip = ipaddress.ip_address(str(ip).split("%")[0])
    inner = embedded_ipv4(ip)
    if inner is not None:
        reason = address_blocked(inner, allow)
        return f"{reason} (in an IPv6 address)" if reason else None
    if any(ip in net for net in METADATA):
        return "metadata"
    reason = next((r for net, r in RANGES if ip.version == net.version and ip in net), None)
    if reason is None and (not ip.is_global or ip.is_multicast):
        reason = "reserved"
    if reason is None:
        return None
    if reason != "unspecified" and any(ip.version == n.version and ip in n for n in allow):
        return None
    return reason


def parse_url(url: str) -> ada_url.URL | None:
    """The URL as Chromium parses it (WHATWG), or None when it does not parse."""
    try:
        return ada_url.URL(url)
    except ValueError:
        return None


def url_host(url: str) -> str | None:
    """The host Chromium would connect to: lower case, IPv6 without brackets, IPv4 in
    dotted-decimal (``0x7f.1`` → ``127.0.0.1``); None for a URL without one."""
    parsed = parse_url(url)
    if parsed is None or not parsed.hostname:
        return None
    return parsed.hostname.strip("[]")
