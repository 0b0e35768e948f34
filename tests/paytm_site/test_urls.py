"""Every answer the original API gave (every route of paytm_site/urls.py that it had) keeps
its fields (clients written for it read them); new fields may be added, none taken away or renamed."""

import pytest
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.services import transfer_create
from tests.conftest import PASSWORD
from users.tokens import tokens_for

pytestmark = pytest.mark.django_db


def keys(response) -> set:
    assert response.status_code == 200, response.content
    return set(response.json())


def test_the_fields_of_every_answer(api, make_person, client_for):
    signup = api.post(
        "/api/v1/user/signup",
        {"username": "fields@example.com", "firstName": "Field", "lastName": "Test", "password": PASSWORD},
        format="json",
    )
    assert keys(signup) >= {"message", "token", "refresh", "userId"}
    signin = api.post("/api/v1/user/signin", {"username": "fields@example.com", "password": PASSWORD}, format="json")
    assert keys(signin) >= {"token", "refresh"}
    assert keys(api.post("/api/v1/user/token/refresh", {"refresh": signin.json()["refresh"]}, format="json")) >= {
        "token"
    }

    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal")
    transfer_create(sender=bilal, recipient_id=str(asha.public_id), amount=100)
    client = client_for(asha)
    assert keys(client.put("/api/v1/user", {"firstName": "Asha"}, format="json")) >= {"message"}
    bulk = api.get("/api/v1/user/bulk", {"filter": "Bilal"})
    assert keys(bulk) >= {"users", "user", "next"}
    assert set(bulk.json()["user"][0]) >= {"_id", "firstName", "lastName"}
    assert keys(client.get("/api/v1/account/balance")) >= {"balance", "currency"}
    sent = client.post("/api/v1/account/transfer", {"to": str(bilal.public_id), "amount": 1}, format="json")
    assert keys(sent) >= {"message", "transferId", "balance"}
    history = client.get("/api/v1/account/transactions")
    assert keys(history) >= {"transactions", "next"}
    for row in history.json()["transactions"]:
        assert set(row) >= {"id", "kind", "direction", "amount", "balanceAfter", "counterparty", "createdAt"}
    issued = tokens_for(asha)  # what sign-up and sign-in give: the same shape, for this person
    assert set(issued) == set(signin.json()) == {"token", "refresh"}
    for token in (signin.json()["token"], issued["token"]):
        assert len(token.split(".")) == 3  # a JWT: header, claims, signature
    assert AccessToken(signin.json()["token"])["userId"] == signup.json()["userId"]
    assert AccessToken(issued["token"])["userId"] == RefreshToken(issued["refresh"])["userId"] == str(asha.public_id)
