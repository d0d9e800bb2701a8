"""A Redis cache that degrades to "no cache" when Redis is unreachable, instead of raising.

Django's ``RedisCache`` raises ``redis.exceptions.ConnectionError`` on every call while Redis is
down, so anything that touches the cache answers 500: the API's throttles read and write it on
every token request and on the token login. The cache holds nothing that cannot be lost, so
while Redis is unreachable this backend answers every read as a miss and drops every write (a
warning is logged, at most once a minute), and after a failure it does not try Redis again for
``RETRY_AFTER`` seconds so that each request does not pay for a connection attempt. During that
time the API's rate limits are not enforced; they resume by themselves when Redis is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class TolerantRedisCache(RedisCache):
    RETRY_AFTER = 5.0  # seconds without trying Redis after a connection failure
    WARN_EVERY = 60.0

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._down_until = 0.0
        self._warned_at = -1e9

    def _call(self, fallback: T, func: Callable[[], T]) -> T:
        if time.monotonic() < self._down_until:
            return fallback
        try:
            return func()
        except UNAVAILABLE as exc:
            now = time.monotonic()
            self._down_until = now + self.RETRY_AFTER
            if now - self._warned_at >= self.WARN_EVERY:
                self._warned_at = now
                logger.warning("Cache unavailable, serving without it: %r", exc)
            return fallback

    @property
    def available(self) -> bool:
        """False while a recent connection failure keeps Redis out of use."""
        return time.monotonic() >= self._down_until

    # Reads answer as a miss; writes are dropped.
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._call(default, lambda: RedisCache.get(self, key, default, version))

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._call({}, lambda: RedisCache.get_many(self, keys, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._call(False, lambda: RedisCache.has_key(self, key, version))

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._call(False, lambda: RedisCache.add(self, key, value, timeout, version))

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._call(None, lambda: RedisCache.set(self, key, value, timeout, version))

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._call(list(data), lambda: RedisCache.set_many(self, data, timeout, version))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._call(False, lambda: RedisCache.touch(self, key, timeout, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._call(False, lambda: RedisCache.delete(self, key, version))

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._call(None, lambda: RedisCache.delete_many(self, keys, version))

    def clear(self) -> None:
        self._call(None, lambda: RedisCache.clear(self))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # Django's contract for a missing key is ValueError, which callers of incr handle.
        missing = object()
        result = self._call(missing, lambda: RedisCache.incr(self, key, delta, version))
        if result is missing:
            raise ValueError(f"Key {key!r} not found: the cache is unavailable.")
        return result  # type: ignore[return-value]
