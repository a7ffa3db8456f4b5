"""RFC 9162 Merkle tree: roots and consistency proofs against a direct implementation."""

from __future__ import annotations

import hashlib

import pytest

from consent_service.proof import merkle


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1 written as the recursion in the RFC."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def _subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return _subproof(m, d[:k], b) + [_mth(d[k:])]
    return _subproof(m - k, d[k:], False) + [_mth(d[:k])]


HASHES = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(70)]
LEAVES = [bytes.fromhex(h) for h in HASHES]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 33, 70])
def test_root_is_rfc_mth(n):
    assert merkle.root_of(HASHES[:n]) == _mth(LEAVES[:n])


def test_rfc_empty_tree_and_frontier_round_trip():
    assert merkle.Frontier().root().hex() == hashlib.sha256(b"").hexdigest()
    f = merkle.Frontier()
    for h in HASHES[:37]:
        f.append(h)
    g = merkle.Frontier.from_hex(37, f.to_hex())
    for h in HASHES[37:50]:
        f.append(h)
        g.append(h)
    assert g.root() == f.root() == _mth(LEAVES[:50])
    with pytest.raises(ValueError):
        merkle.Frontier.from_hex(37, f.to_hex()[:1])


def test_consistency_proofs_match_the_rfc_and_verify():
    for n in range(1, 40):
        for m in range(1, n + 1):
            proof = merkle.consistency_proof(m, n, HASHES)
            assert proof == _subproof(m, LEAVES[:n], True), (m, n)
            rm, rn = _mth(LEAVES[:m]), _mth(LEAVES[:n])
            assert merkle.verify_consistency(m, n, rm, rn, proof), (m, n)
            if m < n:
                other = _mth(LEAVES[1:m + 1])
                assert not merkle.verify_consistency(m, n, other, rn, proof), (m, n)
                assert not merkle.verify_consistency(m, n, rm, rn, proof[:-1]), (m, n)
