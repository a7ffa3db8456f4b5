"""Calling services.consents.record whichever signature it has right now.

The record path is being reworked (a group-commit writer takes (site_id, site_key, ...)
instead of a Site); these tests go through whichever is in the tree.
"""

from __future__ import annotations

import importlib
import inspect

from consent_service.services import consents


def record_event(site, data: dict, **kwargs):
    first = next(iter(inspect.signature(consents.record).parameters))
    if first == "site":
        return consents.record(site, data, **kwargs)
    return consents.record(site.id, site.site_key, data, **kwargs)


def clock_modules():
    """Modules whose `utcnow` stamps recorded_at."""
    mods = [consents]
    try:
        mods.append(importlib.import_module("consent_service.services.chain_writer"))
    except ImportError:
        pass
    return [m for m in mods if hasattr(m, "utcnow")]
