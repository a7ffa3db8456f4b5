"""Proof of consent: chain seals, exports, proof bundles, verification, retention purge.

See docs/proof.md for the canonical serialisation and how to verify a bundle by hand.
"""
