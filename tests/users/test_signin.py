import pytest
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.conftest import PASSWORD
from users.exceptions import MESSAGE_SIGNIN_FAILED

SIGNIN = "/api/v1/user/signin"
pytestmark = pytest.mark.django_db


def test_signin_returns_access_and_refresh_tokens(api, make_person):
    person = make_person(email="kabir@example.com")

    response = api.post(SIGNIN, {"username": "  KABIR@example.com", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "refresh"}
    assert AccessToken(body["token"])["userId"] == str(person.public_id)
    assert RefreshToken(body["refresh"])["userId"] == str(person.public_id)


@pytest.mark.parametrize(
    "body",
    [
        {"username": "kabir@example.com", "password": "wrong password here"},
        {"username": "nobody@example.com", "password": PASSWORD},
        {"username": "kabir@example.com"},
        {"password": PASSWORD},
        {},
        {"username": ["kabir@example.com"], "password": PASSWORD},
    ],
)
def test_any_failure_is_the_same_411(api, make_person, body):
    make_person(email="kabir@example.com")
    response = api.post(SIGNIN, body, format="json")
    assert response.status_code == 411
    assert response.json() == {"message": MESSAGE_SIGNIN_FAILED, "code": "signin_failed"}


def test_deactivated_person_cannot_sign_in(api, make_person):
    person = make_person(email="kabir@example.com")
    person.is_active = False
    person.save()
    assert api.post(SIGNIN, {"username": "kabir@example.com", "password": PASSWORD}, format="json").status_code == 411


def test_a_stale_token_does_not_block_signin(api, make_person):
    make_person(email="kabir@example.com")
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api.post(SIGNIN, {"username": "kabir@example.com", "password": PASSWORD}, format="json").status_code == 200


def test_signin_is_throttled_per_client_address(api, make_person, settings, frozen_throttle_clock):
    make_person(email="kabir@example.com")
    settings.AUTH_THROTTLE_RATE = "3/min"
    bad = {"username": "kabir@example.com", "password": "wrong password here"}

    codes = [api.post(SIGNIN, bad, format="json").status_code for _ in range(3)]
    throttled = api.post(SIGNIN, {"username": "kabir@example.com", "password": PASSWORD}, format="json")

    assert codes == [411, 411, 411]
    assert throttled.status_code == 429
    assert throttled.json()["message"]
    # A spoofed X-Forwarded-For does not buy a fresh allowance.
    spoofed = api.post(SIGNIN, bad, format="json", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert spoofed.status_code == 429
    # Another address has its own allowance.
    other = api.post(SIGNIN, bad, format="json", REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 411


def test_signup_is_throttled_too(api, settings, frozen_throttle_clock):
    settings.AUTH_THROTTLE_RATE = "1/min"
    api.post("/api/v1/user/signup", {}, format="json")
    assert api.post("/api/v1/user/signup", {}, format="json").status_code == 429
