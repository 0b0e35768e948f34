"""Every row of the HTTP contract end to end against a real server, on each backend:
PostgreSQL, SQLite, and MongoDB when MONGODB_URI names a replica set (skipped otherwise,
with the reason printed). The in-process suite covers each row in depth; this proves the
same behaviour holds on every database, then checks the ledger there."""

import uuid
from decimal import Decimal

import pytest

from accounts.exceptions import MESSAGE_INSUFFICIENT_BALANCE, MESSAGE_INVALID_ACCOUNT, MESSAGE_INVALID_AMOUNT
from users.exceptions import MESSAGE_SIGNIN_FAILED, MESSAGE_SIGNUP_REJECTED

pytestmark = pytest.mark.live_server
PASSWORD = "correct horse battery"


def paise(rupees) -> int:
    return int(Decimal(str(rupees)) * 100)


def test_the_whole_contract(live_wallet):
    email = f"contract-{uuid.uuid4().hex[:8]}@example.com"
    with live_wallet.client() as anonymous:
        signup = anonymous.post(
            "/api/v1/user/signup",
            json={"username": email.upper(), "firstName": "Cora", "lastName": "Tract", "password": PASSWORD},
        )
        assert signup.status_code == 200 and signup.json()["message"] == "User created successfully"
        duplicate = anonymous.post(
            "/api/v1/user/signup",
            json={"username": email, "firstName": "Cora", "lastName": "Tract", "password": PASSWORD},
        )
        assert duplicate.status_code == 411 and duplicate.json()["message"] == MESSAGE_SIGNUP_REJECTED
        wrong = anonymous.post("/api/v1/user/signin", json={"username": email, "password": "not the password"})
        assert wrong.status_code == 411 and wrong.json()["message"] == MESSAGE_SIGNIN_FAILED
        tokens = anonymous.post("/api/v1/user/signin", json={"username": email, "password": PASSWORD}).json()
        refreshed = anonymous.post("/api/v1/user/token/refresh", json={"refresh": tokens["refresh"]})
        assert refreshed.status_code == 200 and refreshed.json()["token"]
        assert anonymous.get("/api/v1/account/balance").status_code == 403
        found = anonymous.get("/api/v1/user/bulk", params={"filter": "cOrA"}).json()
        assert any(row["_id"] == signup.json()["userId"] for row in found["users"]) and found["users"] == found["user"]

    other = live_wallet.signup("Payee")
    with live_wallet.client(refreshed.json()["token"]) as me:
        start = paise(me.get("/api/v1/account/balance").json()["balance"])
        assert me.get("/api/v1/account/balance").json()["currency"] == "INR"
        assert me.put("/api/v1/user", json={"firstName": "Corinne"}).json()["message"] == "Updated successfully"
        assert me.put("/api/v1/user", json={"balance": 1}).status_code == 411
        assert all(
            r["_id"] != signup.json()["userId"]
            for r in me.get("/api/v1/user/bulk", params={"filter": "cor"}).json()["users"]
        )

        # ₹1.25, or the whole grant when it is smaller (grants start at ₹1.00).
        sent_paise = min(125, start)
        sent = me.post(
            "/api/v1/account/transfer",
            json={"to": other["userId"], "amount": f"{sent_paise / 100:.2f}"},
            headers={"Idempotency-Key": "c-1"},
        )
        assert sent.status_code == 200 and paise(sent.json()["balance"]) == start - sent_paise
        replay = me.post(
            "/api/v1/account/transfer",
            json={"to": other["userId"], "amount": sent_paise / 100},
            headers={"Idempotency-Key": "c-1"},
        )
        assert replay.json()["transferId"] == sent.json()["transferId"]
        assert (
            me.post(
                "/api/v1/account/transfer",
                json={"to": other["userId"], "amount": 2},
                headers={"Idempotency-Key": "c-1"},
            ).status_code
            == 422
        )
        for body, message in [
            ({"to": other["userId"], "amount": "1.001"}, MESSAGE_INVALID_AMOUNT),
            ({"to": other["userId"], "amount": -1}, MESSAGE_INVALID_AMOUNT),
            ({"to": str(uuid.uuid4()), "amount": 1}, MESSAGE_INVALID_ACCOUNT),
            ({"to": signup.json()["userId"], "amount": 1}, MESSAGE_INVALID_ACCOUNT),
            ({"to": other["userId"], "amount": start}, MESSAGE_INSUFFICIENT_BALANCE),
        ]:
            response = me.post("/api/v1/account/transfer", json=body)
            assert response.status_code == 400 and response.json()["message"] == message, body
        assert paise(me.get("/api/v1/account/balance").json()["balance"]) == start - sent_paise

        history = me.get("/api/v1/account/transactions").json()["transactions"]
        assert [row["direction"] for row in history] == ["debit", "credit"]
        assert history[0]["counterparty"]["_id"] == other["userId"] and paise(history[0]["amount"]) == sent_paise

    with live_wallet.client(other["token"]) as payee:
        assert payee.get("/api/v1/account/transactions").json()["transactions"][0]["direction"] == "credit"
    with live_wallet.client() as anonymous:
        assert anonymous.get("/healthz").json()["status"] == "ok"
    result = live_wallet.manage("verify_ledger")
    assert result.returncode == 0, result.stdout + result.stderr
