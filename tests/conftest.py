import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.ledger_checks import ledger_verify
from tests.support import postgres_reachable, postgres_url_from_env

PASSWORD = "correct horse battery"


def pytest_configure(config):
    url = postgres_url_from_env()
    if url and not postgres_reachable(url):
        message = f"PostgreSQL at {url} is unreachable"
        if os.environ.get("CI") == "true":
            raise pytest.UsageError(f"{message}: CI must run the PostgreSQL tests, not skip them.")
        pytest.exit(f"{message}: skipping the PostgreSQL run (start it, or see README).", returncode=0)


@pytest.fixture(autouse=True)
def _fast_and_unthrottled(settings):
    """Cheap password hashing and no sign-in throttle, unless a test turns it back on."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AUTH_THROTTLE_RATE = "off"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _ledger_holds_after_each_test(request):
    """Every test that touched the database ends with every ledger invariant intact."""
    yield
    if request.node.get_closest_marker("django_db") and not request.node.get_closest_marker("breaks_ledger"):
        report = ledger_verify()
        assert report.ok, report.breaches


@pytest.fixture
def frozen_throttle_clock(monkeypatch):
    """Throttle windows follow the throttle's clock (DRF's `timer` hook); pin it mid-window so
    a test's requests can never straddle two windows (and get two allowances)."""
    from users.throttling import AuthRateThrottle

    monkeypatch.setattr(AuthRateThrottle, "timer", staticmethod(lambda: 1_800_000_030.0))


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def make_person(db):
    """Sign a person up through the real service; `grant` fixes the starting balance (paise)."""
    from users.services import user_signup

    counter = iter(range(1, 10_000))

    def make(first_name="Asha", last_name="Rao", *, grant=500_000, email=None, password=PASSWORD):
        number = next(counter)
        return user_signup(
            email=email or f"{first_name.lower()}.{last_name.lower()}.{number}@example.com",
            first_name=first_name,
            last_name=last_name,
            password=password,
            grant=grant,
        )

    return make


@pytest.fixture
def client_for():
    """An API client carrying a fresh access token for `user`."""
    from users.tokens import tokens_for

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['token']}")
        return client

    return make


@pytest.fixture
def operator(db):
    """operator("Support", "Finance") -> a staff user (no wallet) with those roles; superuser=True for all."""
    from django.contrib.auth.models import Group

    from users.models import User

    counter = iter(range(1, 1000))

    def make(*roles, superuser=False):
        user = User.objects.create_user(
            f"ops{next(counter)}@example.com", "operator pass 123", first_name="Op", last_name="Erator", is_staff=True
        )
        user.is_superuser = superuser
        user.save()
        user.groups.add(*Group.objects.filter(name__in=roles))
        return User.objects.get(pk=user.pk)  # fresh: permissions are cached per instance

    return make
