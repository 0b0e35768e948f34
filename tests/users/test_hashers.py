"""How passwords are stored (users/hashers.py): Argon2id at OWASP's minimum, and a PBKDF2 hash
stored before replaced at that person's next sign-in."""

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher, make_password

from tests.conftest import PASSWORD
from users.models import User

pytestmark = pytest.mark.django_db
PRODUCTION_HASHERS = ["users.hashers.WalletArgon2PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]


@pytest.fixture
def production_hashers(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS  # the suite runs with a fast one otherwise


def test_the_settings_store_argon2id_first_and_still_read_pbkdf2():
    from paytm_site import settings as configured  # as configured, not as this suite runs

    assert configured.PASSWORD_HASHERS == PRODUCTION_HASHERS


def test_new_passwords_are_argon2id_at_owasps_minimum(production_hashers):
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    hasher = identify_hasher(encoded)
    assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (19 * 1024, 2, 1)


def test_a_pbkdf2_hash_is_upgraded_at_the_next_sign_in(production_hashers, api, make_person):
    person = make_person(email="old@example.com")
    old = PBKDF2PasswordHasher().encode(PASSWORD, "fixedsalt1234")
    User.objects.filter(pk=person.pk).update(password=old)
    signed_in = api.post("/api/v1/user/signin", {"username": "old@example.com", "password": PASSWORD}, format="json")
    assert signed_in.status_code == 200
    upgraded = User.objects.get(pk=person.pk).password
    assert upgraded.startswith("argon2$argon2id$") and upgraded != old
    again = api.post("/api/v1/user/signin", {"username": "old@example.com", "password": PASSWORD}, format="json")
    assert again.status_code == 200  # the upgraded hash verifies
    wrong = api.post("/api/v1/user/signin", {"username": "old@example.com", "password": "wrong one"}, format="json")
    assert wrong.status_code == 411
