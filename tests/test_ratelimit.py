"""The in-process rate-limit storage limits, expires, and starts no timer threads."""

import threading
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from consent_service.ratelimit import LazyMemoryStorage


def test_limits_and_expires_without_timer_threads():
    storage = storage_from_string("lazymemory://")
    assert isinstance(storage, LazyMemoryStorage)
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("3/second")
    before = threading.active_count()
    assert [limiter.hit(limit, "client") for _ in range(5)] == [True, True, True, False, False]
    assert limiter.hit(limit, "other")  # keys are independent
    assert threading.active_count() <= before
    time.sleep(1.1)
    assert limiter.hit(limit, "client")  # the window expired


def test_sweep_drops_expired_keys():
    storage = LazyMemoryStorage()
    storage.incr("gone", expiry=0.01)
    time.sleep(0.05)
    storage._next_sweep = 0.0
    storage.incr("kept", expiry=60)
    assert "gone" not in storage.storage and storage.get("kept") == 1


def test_app_uses_it_without_redis(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "lazymemory://"


def test_blueprints_skipped_by_flask_limiter_declare_no_limits(app):
    # The request filter would silently skip a @limiter.limit put on one of their views.
    from consent_service.extensions import UNLIMITED_BLUEPRINTS, limiter

    modules = {app.view_functions[rule.endpoint].__module__ for rule in app.url_map.iter_rules()
               if rule.endpoint.split(".")[0] in UNLIMITED_BLUEPRINTS}
    assert modules == {"consent_service.api.public", "consent_service.api.loader"}
    decorated = {name for name in limiter._marked_for_limiting if name.startswith(tuple(modules))}
    assert decorated == set()
    assert "consent_service.admin.auth.login.login" in limiter._marked_for_limiting
