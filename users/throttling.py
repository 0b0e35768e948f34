from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

THROTTLE_OFF = "off"


class AuthRateThrottle(SimpleRateThrottle):
    """Per client address, for sign-up and sign-in; rate from AUTH_THROTTLE_RATE.

    DRF's own throttle reads the request history, decides and writes it back: several
    workers racing on one address all read the same history and all get in (measured: 8 of
    24 simultaneous attempts passed a limit of 5). This one counts with the cache's atomic
    increment in fixed windows (Redis INCR when REDIS_URL is set, so every worker shares
    the count), which lets exactly the allowance through per window. The clock and the cache
    are DRF's own hooks (`timer`, `cache`), so tests can pin either.
    """

    scope = "auth"

    def get_rate(self):
        rate = settings.AUTH_THROTTLE_RATE.strip().lower()
        return None if rate in {THROTTLE_OFF, ""} else rate

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        key = f"{self.get_cache_key(request, view)}:{window}"
        self.cache.add(key, 0, timeout=self.duration + 1)  # no-op when the window already has a count
        try:
            count = self.cache.incr(key)
        except ValueError:  # the key expired between add and incr: start the window again
            self.cache.add(key, 1, timeout=self.duration + 1)
            count = 1
        self.seconds_left = (window + 1) * self.duration - now
        return count <= self.num_requests

    def wait(self):
        return getattr(self, "seconds_left", None)
