"""Rate limits in fixed windows, counted atomically in the shared cache (Redis INCR when
REDIS_URL is set, so every worker of every server shares one count): exactly the allowance
gets through per window, also when many requests race (a read-decide-write count would let
several racers through). Used by the sign-in throttle (users/throttling.py) and the limit on
money requests (accounts/money_requests.py)."""

import time
from dataclasses import dataclass

from django.core.cache import cache as default_cache
from django.core.exceptions import ImproperlyConfigured

OFF = "off"
PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


@dataclass(frozen=True)
class Rate:
    """`count` per `seconds`, from settings such as "30/min" or "100/hour"; "off" is None."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str, *, setting: str) -> "Rate | None":
        text = (text or "").strip().lower()
        if text in {OFF, ""}:
            return None
        count, _, period = text.partition("/")
        if not count.isdigit() or period not in PERIODS or int(count) < 1:
            raise ImproperlyConfigured(f"{setting} must look like 30/min, 100/hour or off, got {text!r}")
        return cls(int(count), PERIODS[period])


@dataclass(frozen=True)
class Hit:
    allowed: bool
    count: int  # this window's count, this hit included
    seconds_left: float  # until the window ends and the allowance is whole again


def clock() -> float:
    """The windows' clock (tests pin it here, not in `time`)."""
    return time.time()


def hit(key: str, rate: Rate, *, now: float | None = None, cache=default_cache) -> Hit:
    """Count one use of `key` against `rate`, in the current window."""
    now = clock() if now is None else now
    window = int(now // rate.seconds)
    counted = f"{key}:{window}"
    cache.add(counted, 0, timeout=rate.seconds + 1)  # no-op when the window already has a count
    try:
        count = cache.incr(counted)
    except ValueError:  # the key expired between add and incr: start the window again
        cache.add(counted, 1, timeout=rate.seconds + 1)
        count = 1
    return Hit(allowed=count <= rate.count, count=count, seconds_left=(window + 1) * rate.seconds - now)


def used(key: str, rate: Rate, *, now: float | None = None, cache=default_cache) -> int:
    """How many uses of `key` this window has counted (without counting one)."""
    now = clock() if now is None else now
    return cache.get(f"{key}:{int(now // rate.seconds)}", 0)
