"""Limits such as "at most 5 reports per client address an hour", counted
in the shared database cache, so every app server counts the same."""

import dataclasses
import hashlib

from django.conf import settings
from django.core.cache import cache


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` events per ``window`` seconds for one value (a
    client address, an e-mail address). ``name`` keeps the rules apart."""

    name: str
    limit: int
    window: int

    def _key(self, value):
        # Only a salted hash of the value is kept, and only for the window.
        digest = hashlib.sha256(f"{settings.SECRET_KEY}|{value}".encode()).hexdigest()[:32]
        return f"{self.name}:{digest}"

    def is_reached(self, value):
        return (cache.get(self._key(value)) or 0) >= self.limit

    def count(self, value):
        key = self._key(value)
        # add() starts the window; incr() counts within it without extending it.
        if not cache.add(key, 1, self.window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, self.window)
