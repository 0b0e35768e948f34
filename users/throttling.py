from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

THROTTLE_OFF = "off"


class AuthRateThrottle(SimpleRateThrottle):
    """Per client address, for sign-up and sign-in; rate from AUTH_THROTTLE_RATE.

    The rate is read on each request (not frozen at import) so it follows settings, and
    counts live in the default cache, which is Redis when REDIS_URL is set, so every
    worker shares them.
    """

    scope = "auth"

    def get_rate(self):
        rate = settings.AUTH_THROTTLE_RATE.strip().lower()
        return None if rate in {THROTTLE_OFF, ""} else rate

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
