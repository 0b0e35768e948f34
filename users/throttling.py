"""One allowance of password attempts per client address, shared by every door that checks a
password: the API's sign-in and sign-up (DRF throttling, below), the pages' sign-in, sign-up
and password change, the console's login and the browsable API's login (PasswordDoorsMiddleware,
users/middleware.py). An address over its allowance is refused at every door, the right password
included, and Django's authentication itself refuses it too (users/backends.py), so a door
forgotten here still cannot be used to keep guessing. Rate: AUTH_THROTTLE_RATE."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from core import rates

THROTTLE_OFF = "off"


class AuthRateThrottle(SimpleRateThrottle):
    """Per client address (REMOTE_ADDR, or the address NUM_PROXIES trusted proxies give),
    counted with the cache's atomic increment in fixed windows (core/rates.py): DRF's own
    throttle reads the history, decides and writes it back, and several workers racing on
    one address all got in (measured: 8 of 24 simultaneous attempts passed a limit of 5).
    The clock and the cache are DRF's own hooks (`timer`, `cache`), so tests can pin either."""

    scope = "auth"

    def get_rate(self):
        rate = settings.AUTH_THROTTLE_RATE.strip().lower()
        return None if rate in {THROTTLE_OFF, ""} else rate

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    @property
    def allowance(self) -> rates.Rate:
        return rates.Rate(self.num_requests, self.duration)

    def allow_request(self, request, view=None):
        """Count one attempt from this request's address; False once over the allowance."""
        if self.rate is None:
            return True
        counted = rates.hit(self.get_cache_key(request), self.allowance, now=self.timer(), cache=self.cache)
        self.seconds_left = counted.seconds_left
        return counted.allowed

    def exhausted(self, request) -> bool:
        """Whether this address is over its allowance (counting nothing)."""
        if self.rate is None:
            return False
        return rates.used(self.get_cache_key(request), self.allowance, now=self.timer(), cache=self.cache) > (
            self.num_requests
        )

    def wait(self):
        return getattr(self, "seconds_left", None)
