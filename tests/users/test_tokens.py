import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from users.tokens import tokens_for

BALANCE = "/api/v1/account/balance"
REFRESH = "/api/v1/user/token/refresh"
pytestmark = pytest.mark.django_db


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def call_with(api, token):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api.get(BALANCE)


def assert_403(response):
    assert response.status_code == 403
    assert response.json()["message"]


def test_valid_token_is_accepted(api, make_person):
    assert call_with(api, tokens_for(make_person())["token"]).status_code == 200


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Token abc", "Bearer a.b.c", "Basic dXNlcjpwYXNz"])
def test_missing_or_malformed_token_is_403(api, make_person, header):
    make_person()
    if header is not None:
        api.credentials(HTTP_AUTHORIZATION=header)
    assert_403(api.get(BALANCE))


def test_tampered_payload_is_403(api, make_person):
    victim, attacker = make_person("Vic"), make_person("Ada")
    header, _, signature = tokens_for(attacker)["token"].split(".")
    payload = dict(AccessToken(tokens_for(attacker)["token"]).payload, userId=str(victim.public_id))
    assert_403(call_with(api, f"{header}.{b64(payload)}.{signature}"))


def test_token_signed_with_another_key_is_403(api, make_person):
    person = make_person()
    payload = dict(AccessToken(tokens_for(person)["token"]).payload)
    assert_403(call_with(api, jwt.encode(payload, "not-our-secret-" * 3, algorithm="HS256")))


def test_alg_none_is_403(api, make_person):
    person = make_person()
    payload = dict(AccessToken(tokens_for(person)["token"]).payload)
    assert_403(call_with(api, f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."))


def test_expired_token_is_403(api, make_person):
    token = AccessToken.for_user(make_person())
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert_403(call_with(api, str(token)))


def test_a_token_that_worked_stops_working_when_it_expires(api, make_person, monkeypatch):
    import users.authentication

    token = tokens_for(make_person())["token"]
    assert call_with(api, token).status_code == 200  # verified, and remembered by this process

    an_hour_later = users.authentication.aware_utcnow() + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(users.authentication, "aware_utcnow", lambda: an_hour_later)
    assert_403(call_with(api, token))


def test_a_token_that_worked_stops_working_when_its_person_is_deactivated(api, make_person):
    person = make_person()
    token = tokens_for(person)["token"]
    assert call_with(api, token).status_code == 200
    person.is_active = False
    person.save()
    assert_403(call_with(api, token))


def test_refresh_token_used_as_access_is_403(api, make_person):
    assert_403(call_with(api, tokens_for(make_person())["refresh"]))


def test_token_of_deactivated_person_is_403(api, make_person):
    person = make_person()
    token = tokens_for(person)["token"]
    person.is_active = False
    person.save()
    assert_403(call_with(api, token))


def test_token_lifetimes_follow_the_contract(make_person):
    person = make_person()
    access, refresh = AccessToken.for_user(person), RefreshToken.for_user(person)
    assert access["exp"] - access["iat"] == settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() == 3600
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600


def test_refresh_gives_a_working_access_token(api, make_person):
    refresh = tokens_for(make_person())["refresh"]
    response = api.post(REFRESH, {"refresh": refresh}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"token", "refresh"}  # refresh tokens rotate (SPEC)
    assert call_with(api, response.json()["token"]).status_code == 200


@pytest.mark.parametrize("body", [{}, {"refresh": "junk"}, {"refresh": 5}])
def test_bad_refresh_is_403(api, body):
    assert_403(api.post(REFRESH, body, format="json"))


def test_access_token_cannot_be_used_to_refresh(api, make_person):
    assert_403(api.post(REFRESH, {"refresh": tokens_for(make_person())["token"]}, format="json"))


def test_password_change_retires_earlier_tokens(api, make_person, client_for):
    person = make_person()
    old = tokens_for(person)
    assert call_with(api, old["token"]).status_code == 200
    response = client_for(person).put("/api/v1/user", {"password": "a brand new passphrase"}, format="json")
    assert response.status_code == 200

    assert_403(api.post(REFRESH, {"refresh": old["refresh"]}, format="json"))
    assert_403(call_with(api, old["token"]))
    fresh = api.post(
        "/api/v1/user/signin", {"username": person.email, "password": "a brand new passphrase"}, format="json"
    )
    assert call_with(api, fresh.json()["token"]).status_code == 200


def test_refresh_for_a_deleted_or_deactivated_person_is_403(api, make_person):
    person = make_person()
    refresh = tokens_for(person)["refresh"]
    person.is_active = False
    person.save()
    assert_403(api.post(REFRESH, {"refresh": refresh}, format="json"))


def edited_payload(person):
    header, _, signature = tokens_for(person)["token"].split(".")
    return f"{header}.{b64({**AccessToken(tokens_for(person)['token']).payload, 'userId': 'someone-else'})}.{signature}"


def expired(person):
    token = AccessToken.for_user(person)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


@pytest.mark.parametrize(
    "bad_token",
    [
        lambda person: "garbage",
        lambda person: "a.b.c",
        lambda person: jwt.encode(dict(AccessToken(tokens_for(person)["token"]).payload), "x" * 40, algorithm="HS256"),
        edited_payload,
        lambda person: tokens_for(person)["refresh"],
        expired,
        lambda person: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(dict(AccessToken.for_user(person).payload))}.",
    ],
    ids=["garbage", "three-dots", "other-key", "edited-payload", "refresh-as-access", "expired", "alg-none"],
)
def test_every_rejected_token_gets_one_plain_sentence(api, make_person, bad_token):
    """Not SimpleJWT's nested details (a dump of ErrorDetail objects) but one sentence."""
    response = call_with(api, bad_token(make_person()))
    assert response.status_code == 403
    assert response.json() == {"message": "Invalid or expired token", "code": "token_invalid"}


@pytest.mark.parametrize("header", [None, "Token abc", "Basic dXNlcjpwYXNz"])
def test_no_token_gets_one_plain_sentence(api, header):
    if header:
        api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get(BALANCE)
    assert response.status_code == 403
    assert response.json() == {"message": "Authentication credentials were not provided", "code": "not_authenticated"}


def test_a_deactivated_persons_token_gets_the_same_sentence(api, make_person):
    person = make_person()
    token = tokens_for(person)["token"]
    person.is_active = False
    person.save()
    assert call_with(api, token).json() == {"message": "Invalid or expired token", "code": "token_invalid"}
