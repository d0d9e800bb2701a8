"""apps.core.cache.TolerantRedisCache: an unreachable Redis reads as a miss, never raises.

Not a fault scenario (no marker): it runs in ``make test``, against a port where nothing listens.
The whole outage, with pages and the token API, is tests/faults/test_redis_outage.py.
"""

import time

import pytest

from apps.core.cache import TolerantRedisCache


@pytest.fixture
def cache():
    # Nothing listens on port 1: every connection is refused, as with Redis stopped.
    return TolerantRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 1}})


def test_reads_are_misses_and_writes_are_dropped(cache):
    assert cache.get("k") is None
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.set("k", 1) is None
    assert cache.add("k", 1) is False
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.touch("k") is False
    assert cache.delete("k") is False
    assert cache.delete_many(["a"]) is None
    assert cache.clear() is None
    assert cache.get_or_set("k", lambda: "computed") == "computed"


def test_incr_says_the_key_is_missing(cache):
    with pytest.raises(ValueError):
        cache.incr("counter")
    with pytest.raises(ValueError):
        cache.decr("counter")


def test_after_a_failure_it_stops_trying_for_a_while(cache, monkeypatch):
    assert cache.available
    cache.get("k")
    assert not cache.available

    def must_not_be_called(*args, **kwargs):
        raise AssertionError("Redis was tried again during the back-off")

    monkeypatch.setattr("django.core.cache.backends.redis.RedisCache.get", must_not_be_called)
    assert cache.get("k", 7) == 7

    cache._down_until = time.monotonic() - 1  # the back-off is over: Redis is tried again
    monkeypatch.undo()
    assert cache.get("k", 8) == 8
    assert not cache.available


def test_the_throttled_api_answers_while_the_cache_is_down(db, settings, client):
    """The token login is throttled through the cache (DRF): with Redis down it must not 500."""
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.TolerantRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "nobody", "password": "wrong-password-123"},
        content_type="application/json",
    )
    assert response.status_code in (400, 401)
