import pytest

from accounts.models import Account, LedgerEntry, Transfer
from accounts.money import STARTING_GRANT_MAX_PAISE, STARTING_GRANT_MIN_PAISE
from tests.conftest import PASSWORD
from users.exceptions import MESSAGE_SIGNUP_REJECTED
from users.models import User
from users.views import MESSAGE_SIGNUP_SUCCESS

SIGNUP = "/api/v1/user/signup"
pytestmark = pytest.mark.django_db


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
