"""RFC 6962 / RFC 9162 Merkle tree hashes over a site's events, in constant memory.

Leaf i (0-based) is the event with seq i + 1; its leaf input is the 32 raw bytes of the
event's event_hash. Roots are built from a "frontier": the roots of the perfect subtrees
of the leaves so far, left to right, each with its size (a power of two, decreasing).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def leaf_hash(event_hash_hex: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(event_hash_hex)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class Frontier:
    """Appends leaves one at a time; root() is MTH of all leaves so far (RFC 9162 2.1.1)."""

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()):
        self.size = size
        self.stack: list[tuple[int, bytes]] = []
        sizes = [1 << b for b in range(size.bit_length() - 1, -1, -1) if size >> b & 1]
        hashes = list(hashes)
        if len(hashes) != len(sizes):
            raise ValueError(f"a frontier of {size} leaves has {len(sizes)} hashes, "
                             f"not {len(hashes)}")
        self.stack = list(zip(sizes, hashes, strict=True))

    @classmethod
    def from_hex(cls, size: int, hexes: list[str]) -> Frontier:
        return cls(size, [bytes.fromhex(h) for h in hexes])

    def to_hex(self) -> list[str]:
        return [h.hex() for _, h in self.stack]

    def append_leaf(self, lh: bytes) -> None:
        self.size += 1
        size, h = 1, lh
        while self.stack and self.stack[-1][0] == size:
            left_size, left = self.stack.pop()
            size, h = left_size + size, node_hash(left, h)
        self.stack.append((size, h))

    def append(self, event_hash_hex: str) -> None:
        self.append_leaf(leaf_hash(event_hash_hex))

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        h = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            h = node_hash(left, h)
        return h

    def copy(self) -> Frontier:
        other = Frontier()
        other.size, other.stack = self.size, list(self.stack)
        return other


def root_of(event_hashes: Iterable[str]) -> bytes:
    f = Frontier()
    for h in event_hashes:
        f.append(h)
    return f.root()


def consistency_ranges(m: int, n: int) -> list[tuple[int, int]]:
    """The leaf ranges [a, b) whose MTHs form the RFC 9162 2.1.4 proof from m to n."""
    if not 0 < m <= n:
        raise ValueError("need 0 < first <= second")
    out: list[tuple[int, int]] = []

    def sub(m: int, a: int, n: int, complete: bool) -> None:
        if m == n:
            if not complete:
                out.append((a, a + n))
            return
        k = _split(n)
        if m <= k:
            sub(m, a, k, complete)
            out.append((a + k, a + n))
        else:
            sub(m - k, a + k, n - k, False)
            out.append((a, a + k))

    sub(m, 0, n, True)
    return out


def consistency_proof(m: int, n: int, event_hashes: Iterable[str]) -> list[bytes]:
    """Stream the first n event hashes once; memory O(log n) (the ranges are disjoint)."""
    ranges = consistency_ranges(m, n)
    order = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
    results: list[bytes | None] = [None] * len(ranges)
    pos = 0
    it = iter(event_hashes)
    for i in order:
        a, b = ranges[i]
        while pos < a:
            next(it)
            pos += 1
        f = Frontier()
        while pos < b:
            f.append(next(it))
            pos += 1
        results[i] = f.root()
    return results  # type: ignore[return-value]


def verify_consistency(m: int, n: int, root_m: bytes, root_n: bytes,
                       proof: list[bytes]) -> bool:
    """RFC 9162 2.1.4.2."""
    if not 0 < m <= n:
        return False
    if m == n:
        return not proof and root_m == root_n
    if not proof:
        return False
    if m & (m - 1) == 0:  # a power of two: the first root is the first proof node
        proof = [root_m, *proof]
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root_m and sr == root_n
