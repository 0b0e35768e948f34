"""`/user/me` and `/user/signout`: one refresh token revoked (SimpleJWT's blacklist on SQL),
or every token of the person issued before now, access tokens included."""

import pytest

from tests.conftest import PASSWORD
from users.models import User
from users.tokens import tokens_for

pytestmark = pytest.mark.django_db
ME, SIGNOUT, REFRESH, BALANCE = (
    "/api/v1/user/me",
    "/api/v1/user/signout",
    "/api/v1/user/token/refresh",
    "/api/v1/account/balance",
)
REFUSED = {"message": "Invalid or expired token", "code": "token_invalid"}


def bearer(api, token):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def test_me(api, make_person):
    person = make_person("Asha", "Rao", email="asha@example.com")
    response = bearer(api, tokens_for(person)["token"]).get(ME)
    assert response.status_code == 200
    assert response.json() == {
        "_id": str(person.public_id),
        "username": "asha@example.com",
        "firstName": "Asha",
        "lastName": "Rao",
    }


def test_me_needs_a_token(api):
    assert api.get(ME).status_code == 403


def test_signing_out_a_refresh_token_stops_it_refreshing(api, make_person):
    person = make_person()
    tokens = tokens_for(person)
    assert api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 200
    signed_out = bearer(api, tokens["token"]).post(SIGNOUT, {"refresh": tokens["refresh"]}, format="json")
    assert signed_out.status_code == 200 and signed_out.json() == {"message": "Signed out"}
    refused = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert (refused.status_code, refused.json()) == (403, REFUSED)
    assert bearer(api, tokens["token"]).post(SIGNOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 200
    other = tokens_for(person)  # another device, still signed in
    assert api.post(REFRESH, {"refresh": other["refresh"]}, format="json").status_code == 200


def test_signing_out_everywhere_refuses_every_earlier_token(api, make_person):
    person = make_person()
    phone, laptop = tokens_for(person), tokens_for(person)
    response = bearer(api, phone["token"]).post(SIGNOUT, {"everywhere": True}, format="json")
    assert response.status_code == 200
    for token in (phone["token"], laptop["token"]):
        refused = bearer(api, token).get(BALANCE)
        assert (refused.status_code, refused.json()) == (403, REFUSED)
    for refresh in (phone["refresh"], laptop["refresh"]):
        assert api.post(REFRESH, {"refresh": refresh}, format="json").json() == REFUSED
    api.credentials()
    fresh = api.post("/api/v1/user/signin", {"username": person.email, "password": PASSWORD}, format="json").json()
    assert bearer(api, fresh["token"]).get(BALANCE).status_code == 200  # signing in again works at once
    assert api.post(REFRESH, {"refresh": fresh["refresh"]}, format="json").status_code == 200


def test_tokens_issued_before_this_feature_keep_working_until_signing_out_everywhere(api, make_person):
    from rest_framework_simplejwt.tokens import RefreshToken

    person = make_person()
    old = RefreshToken.for_user(person)  # no generation claim
    assert bearer(api, str(old.access_token)).get(BALANCE).status_code == 200
    User.objects.filter(pk=person.pk).update(token_generation=1)
    assert bearer(api, str(old.access_token)).get(BALANCE).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"refresh": "garbage"},
        {"refresh": "OTHER"},
        {"refresh": "ACCESS"},
    ],
)
def test_only_your_own_refresh_token_can_be_signed_out(api, make_person, body):
    me, other = make_person("Me"), make_person("Other")
    mine, theirs = tokens_for(me), tokens_for(other)
    body = {"refresh": {"OTHER": theirs["refresh"], "ACCESS": mine["token"]}.get(body["refresh"], body["refresh"])}
    response = bearer(api, mine["token"]).post(SIGNOUT, body, format="json")
    assert (response.status_code, response.json()) == (403, REFUSED)
    api.credentials()
    assert api.post(REFRESH, {"refresh": theirs["refresh"]}, format="json").status_code == 200


@pytest.mark.parametrize("body", [{"everywhere": "sometimes"}, {"refresh": 5}, {"unknown": 1}])
def test_a_malformed_signout_is_400_and_signs_nothing_out(api, make_person, body):
    person = make_person()
    tokens = tokens_for(person)
    response = bearer(api, tokens["token"]).post(SIGNOUT, body, format="json")
    assert response.status_code == 400 and response.json()["message"]
    assert bearer(api, tokens["token"]).get(BALANCE).status_code == 200


def test_signout_needs_a_token(api):
    assert api.post(SIGNOUT, {"everywhere": True}, format="json").status_code == 403
