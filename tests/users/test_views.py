"""The `/api/v1/user` endpoints (users/views.py) and the services behind them (users/services.py):
sign-up, sign-in, profile updates, `/user/me` and sign-out."""

import pytest
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import Account, LedgerEntry, Transfer
from accounts.money import STARTING_GRANT_MAX_PAISE, STARTING_GRANT_MIN_PAISE
from tests.conftest import PASSWORD
from users.exceptions import MESSAGE_SIGNIN_FAILED, MESSAGE_SIGNUP_REJECTED, MESSAGE_UPDATE_REJECTED
from users.models import User
from users.tokens import tokens_for
from users.views import MESSAGE_SIGNUP_SUCCESS, MESSAGE_UPDATE_SUCCESS

pytestmark = pytest.mark.django_db


# -- sign-up ---------------------------------------------------------------------------------

SIGNUP = "/api/v1/user/signup"


def signup_body(**overrides):
    body = {"username": "meera@example.com", "firstName": "Meera", "lastName": "Iyer", "password": PASSWORD}
    body.update(overrides)
    return body


def test_signup_creates_user_wallet_and_funded_grant(api):
    response = api.post(SIGNUP, signup_body(), format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["message"] == MESSAGE_SIGNUP_SUCCESS
    assert set(body) == {"message", "token", "refresh", "userId"}
    user = User.objects.get(public_id=body["userId"])
    account = Account.objects.get(user=user)
    assert STARTING_GRANT_MIN_PAISE <= account.balance <= STARTING_GRANT_MAX_PAISE
    grant = Transfer.objects.get(recipient=account)
    assert grant.kind == Transfer.Kind.GRANT
    assert grant.sender.kind == Account.Kind.ISSUANCE
    assert grant.amount == account.balance
    assert LedgerEntry.objects.filter(transfer=grant).count() == 2
    assert user.check_password(PASSWORD) and user.password != PASSWORD


def test_token_from_signup_works_and_names_the_user(api):
    body = api.post(SIGNUP, signup_body(), format="json").json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert api.get("/api/v1/account/balance").status_code == 200
    from rest_framework_simplejwt.tokens import AccessToken

    assert AccessToken(body["token"])["userId"] == body["userId"]


def test_email_is_trimmed_lowercased_and_unique_regardless_of_case(api):
    assert api.post(SIGNUP, signup_body(username="  Meera@Example.COM "), format="json").status_code == 200
    assert User.objects.get().email == "meera@example.com"

    again = api.post(SIGNUP, signup_body(username="MEERA@example.com"), format="json")

    assert again.status_code == 411
    assert again.json()["message"] == MESSAGE_SIGNUP_REJECTED
    assert User.objects.count() == 1 and Account.objects.filter(kind="user").count() == 1


def test_names_are_trimmed(api):
    api.post(SIGNUP, signup_body(firstName="  Meera ", lastName=" Iyer  "), format="json")
    user = User.objects.get()
    assert (user.first_name, user.last_name) == ("Meera", "Iyer")


@pytest.mark.parametrize(
    "overrides",
    [
        {"username": "not-an-email"},
        {"username": ""},
        {"firstName": ""},
        {"firstName": "   "},
        {"lastName": "x" * 51},
        {"firstName": "Nul\x00l"},
        {"password": "short"},
        {"password": "12345678901"},
        {"password": "password"},
        {"firstName": 42},
        {"username": None},
    ],
)
def test_bad_input_is_411_and_creates_nothing(api, overrides):
    response = api.post(SIGNUP, signup_body(**overrides), format="json")

    assert response.status_code == 411
    assert response.json()["message"] == MESSAGE_SIGNUP_REJECTED
    assert User.objects.count() == 0 and Account.objects.count() == 0 and Transfer.objects.count() == 0


@pytest.mark.parametrize("missing", ["username", "firstName", "lastName", "password"])
def test_missing_field_is_411(api, missing):
    body = signup_body()
    del body[missing]
    response = api.post(SIGNUP, body, format="json")
    assert response.status_code == 411
    assert missing in response.json()["errors"]


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'"text"', b"null"])
def test_malformed_body_is_411(api, raw):
    response = api.generic("POST", SIGNUP, raw, content_type="application/json")
    assert response.status_code == 411
    assert response.json()["message"] == MESSAGE_SIGNUP_REJECTED


def test_name_of_fifty_characters_is_accepted(api):
    assert api.post(SIGNUP, signup_body(firstName="x" * 50), format="json").status_code == 200


def test_signup_fails_whole_when_the_grant_cannot_be_written(api, monkeypatch):
    """User, account and grant are one transaction: a failure in the grant leaves no user."""
    from accounts.stores import ledger_store

    def broken(self, movement, **balances):
        raise RuntimeError("disk full")

    monkeypatch.setattr(type(ledger_store()), "write_posting", broken)
    with pytest.raises(RuntimeError):
        api.post(SIGNUP, signup_body(), format="json")
    assert User.objects.count() == 0 and Account.objects.count() == 0


# -- sign-in ---------------------------------------------------------------------------------

SIGNIN = "/api/v1/user/signin"


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


# -- profile updates (PUT /user) -------------------------------------------------------------

UPDATE = "/api/v1/user"


def test_update_names(make_person, client_for):
    person = make_person("Old", "Name")
    response = client_for(person).put(UPDATE, {"firstName": " New ", "lastName": "Surname"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"message": MESSAGE_UPDATE_SUCCESS}
    person.refresh_from_db()
    assert (person.first_name, person.last_name) == ("New", "Surname")


def test_update_password_hashes_it(make_person, client_for):
    person = make_person()
    client_for(person).put(UPDATE, {"password": "another fine passphrase"}, format="json")
    person.refresh_from_db()
    assert person.check_password("another fine passphrase") and not person.check_password(PASSWORD)
    assert "another fine passphrase" not in person.password


@pytest.mark.parametrize(
    "attack",
    [
        {"balance": 999999},
        {"username": "evil@example.com"},
        {"email": "evil@example.com"},
        {"is_staff": True},
        {"isStaff": True},
        {"is_superuser": True},
        {"_id": "00000000-0000-0000-0000-000000000000"},
        {"public_id": "00000000-0000-0000-0000-000000000000"},
        {"firstName": "Fine", "is_active": False},
    ],
)
def test_mass_assignment_is_refused_and_changes_nothing(make_person, client_for, attack):
    person = make_person("Asha", "Rao")
    before = (User.objects.filter(pk=person.pk).values().get(), Account.objects.get(user=person).balance)

    response = client_for(person).put(UPDATE, attack, format="json")

    assert response.status_code == 411
    assert response.json()["message"] == MESSAGE_UPDATE_REJECTED
    after = (User.objects.filter(pk=person.pk).values().get(), Account.objects.get(user=person).balance)
    assert after == before


@pytest.mark.parametrize(
    "body", [{}, {"firstName": ""}, {"lastName": "y" * 51}, {"password": "123"}, {"password": "password"}]
)
def test_invalid_update_is_411(make_person, client_for, body):
    person = make_person("Asha", "Rao")
    response = client_for(person).put(UPDATE, body, format="json")
    assert response.status_code == 411
    person.refresh_from_db()
    assert person.first_name == "Asha" and person.check_password(PASSWORD)


def test_update_needs_a_token(api):
    response = api.put(UPDATE, {"firstName": "X"}, format="json")
    assert response.status_code == 403 and response.json()["message"]


# -- /user/me and sign-out -------------------------------------------------------------------

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
    refreshed = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 200
    current = refreshed.json()["refresh"]  # refresh tokens rotate: this is the one that works now
    signed_out = bearer(api, tokens["token"]).post(SIGNOUT, {"refresh": current}, format="json")
    assert signed_out.status_code == 200 and signed_out.json() == {"message": "Signed out"}
    refused = api.post(REFRESH, {"refresh": current}, format="json")
    assert (refused.status_code, refused.json()) == (403, REFUSED)
    assert bearer(api, tokens["token"]).post(SIGNOUT, {"refresh": current}, format="json").status_code == 200
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


@pytest.mark.parametrize("body", [None, {}, {"everywhere": False}])
def test_a_signout_that_would_end_nothing_is_400_and_says_what_to_send(api, make_person, body):
    """A careless client must not believe it signed out."""
    tokens = tokens_for(make_person())
    client = bearer(api, tokens["token"])
    response = client.post(SIGNOUT, body, format="json") if body is not None else client.post(SIGNOUT)
    assert response.status_code == 400
    assert response.json()["code"] == "signout_incomplete" and "refresh" in response.json()["message"]
    assert api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 200


# -- refresh tokens rotate ------------------------------------------------------------------


def test_a_refresh_gives_a_new_refresh_token_and_the_one_used_stops_working(api, make_person):
    person = make_person()
    first = tokens_for(person)["refresh"]
    answer = api.post(REFRESH, {"refresh": first}, format="json")
    assert answer.status_code == 200 and set(answer.json()) == {"token", "refresh"}
    second = answer.json()["refresh"]
    assert second != first and RefreshToken(second)["userId"] == str(person.public_id)
    assert RefreshToken(second)["jti"] != RefreshToken(first, verify=False)["jti"]
    assert bearer(api, answer.json()["token"]).get(BALANCE).status_code == 200
    api.credentials()
    reused = api.post(REFRESH, {"refresh": first}, format="json")
    assert (reused.status_code, reused.json()) == (403, REFUSED)
    assert api.post(REFRESH, {"refresh": second}, format="json").status_code == 200  # the chain goes on


def test_only_the_first_of_two_refreshes_with_one_token_gets_a_new_one(make_person):
    """Both pass every check before either revokes the token: the revocation decides."""
    from users.stores import people_store

    token = RefreshToken(tokens_for(make_person())["refresh"])
    store = people_store()
    assert store.revoke_refresh_token(token) is True
    assert store.revoke_refresh_token(token) is False
    assert store.refresh_token_revoked(token)


# -- operators sign in to the console only -----------------------------------------------------


def test_an_operator_cannot_sign_in_through_the_public_api(api, operator):
    staff = operator("Support")
    staff.set_password(PASSWORD)
    staff.save()
    response = api.post(SIGNIN, {"username": staff.email, "password": PASSWORD}, format="json")
    assert (response.status_code, response.json()["message"]) == (411, MESSAGE_SIGNIN_FAILED)
    root = operator(superuser=True)
    root.set_password(PASSWORD)
    root.save()
    assert api.post(SIGNIN, {"username": root.email, "password": PASSWORD}, format="json").status_code == 411
    # A refresh token an operator got before this is refused too.
    assert api.post(REFRESH, {"refresh": tokens_for(staff)["refresh"]}, format="json").status_code == 403


# -- one rule for names and one form per email ----------------------------------------------


@pytest.mark.parametrize("name", ["Evil\x1b[31mRed\x07", "Line\r\nBreak", "\u200b", "\u3164", "\u2800", "A\u202eB"])
def test_signup_and_updates_refuse_names_the_rule_refuses(api, make_person, client_for, name):
    refused = api.post(SIGNUP, signup_body(firstName=name), format="json")
    assert refused.status_code == 411 and "firstName" in refused.json()["errors"]
    assert not User.objects.filter(email="meera@example.com").exists()
    person = make_person()
    changed = client_for(person).put(UPDATE, {"lastName": name}, format="json")
    assert changed.status_code == 411 and "lastName" in changed.json()["errors"]
    assert User.objects.get(pk=person.pk).last_name == person.last_name


def test_names_are_stored_nfc_and_trimmed(api):
    assert api.post(SIGNUP, signup_body(firstName="  Zoe\u0308 "), format="json").status_code == 200
    assert User.objects.get(email="meera@example.com").first_name == "Zoë"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("sam@x.com", "sam@\uff58.com"),  # a full-width x
        ("sam@bücher.com", "sam@xn--bcher-kva.com"),  # the same domain in IDNA
        ("sam@bu\u0308cher.com", "sam@bücher.com"),  # NFD against NFC
        ("Sam@Example.COM", "sam@example.com"),
    ],
)
def test_one_mailbox_is_one_account_however_it_is_spelled(api, first, second):
    assert api.post(SIGNUP, signup_body(username=first), format="json").status_code == 200
    again = api.post(SIGNUP, signup_body(username=second), format="json")
    assert again.status_code == 411 and again.json()["errors"] == {"username": ["Email already taken"]}
    assert User.objects.count() == 1
    signin = api.post(SIGNIN, {"username": second, "password": PASSWORD}, format="json")
    assert signin.status_code == 200  # and either spelling signs in
