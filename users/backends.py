"""Django's authentication, refusing an address that is over its allowance of password
attempts (users/throttling.py) before it checks any password: whatever door asked."""

from django.contrib.auth.backends import ModelBackend

from users.throttling import AuthRateThrottle


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and AuthRateThrottle().exhausted(request):
            return None  # as a wrong password: nothing is learnt from the answer either way
        return super().authenticate(request, username=username, password=password, **kwargs)
