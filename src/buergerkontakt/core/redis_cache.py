"""Django's Redis cache backend with one client per process (``CACHES["default"]["BACKEND"]``).

Django keeps cache objects per context, so under ASGI every request got a new ``RedisCache`` with
a new client and a new connection pool – a new TCP connection to Redis for the first cache call of
every request – and every cache call built a new ``redis.Redis`` object (about 50 µs, it reads the
package metadata). Here all requests of a process share one client with one pool and one
``redis.Redis`` per pool (it is thread-safe). Measured in docs/performance.md ("Threads and Redis
connections per request").
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property


class SharedRedisCacheClient(RedisCacheClient):
    """One ``redis.Redis`` per connection pool instead of one per cache operation."""

    def __init__(self, servers, **options) -> None:
        super().__init__(servers, **options)
        self._redis: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._redis.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._redis.setdefault(index, self._client(connection_pool=pool))
        return client


class SharedRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` whose client is shared by the whole process.

    Key prefix, versions and timeouts stay per cache object (they live in ``BaseCache``); only the
    connection side is shared, keyed by the servers and the client options."""

    _clients: dict[tuple, SharedRedisCacheClient] = {}

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedRedisCacheClient

    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        client = self._clients.get(key)
        if client is None:
            client = self._clients.setdefault(key, self._class(self._servers, **self._options))
        return client
