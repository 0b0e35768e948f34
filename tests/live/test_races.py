"""Races between real concurrent HTTP clients against a multi-process server.

Each test fires its requests from many threads released together by a barrier, then
checks balances through the API and runs `manage.py verify_ledger` on the server's DB."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from accounts.exceptions import MESSAGE_INSUFFICIENT_BALANCE

pytestmark = pytest.mark.live_server
TRANSFER = "/api/v1/account/transfer"


def paise(rupees) -> int:
    return int(Decimal(str(rupees)) * 100)


def rupees_text(amount_paise: int) -> str:
    return f"{Decimal(amount_paise) / 100:.2f}"


def balance_of(wallet, token) -> int:
    with wallet.client(token) as client:
        return paise(client.get("/api/v1/account/balance").json()["balance"])


def fire_together(wallet, requests: list[tuple[str, dict, dict]]) -> list:
    """POST every (token, body, headers) at once, each from its own thread and connection."""
    barrier = threading.Barrier(len(requests))

    def send(item):
        token, body, headers = item
        with wallet.client(token) as client:
            barrier.wait(timeout=30)
            return client.post(TRANSFER, json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def assert_ledger_clean(wallet):
    result = wallet.manage("verify_ledger")
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_sender_draining_from_many_requests(live_wallet):
    sender, recipient = live_wallet.signup("Drainer"), live_wallet.signup("Sink")
    start, recipient_start = balance_of(live_wallet, sender["token"]), balance_of(live_wallet, recipient["token"])
    amount = max(1, start // 5)
    affordable = start // amount
    attempts = min(affordable * 3 + 2, 32)
    body = {"to": recipient["userId"], "amount": rupees_text(amount)}

    responses = fire_together(live_wallet, [(sender["token"], body, {})] * attempts)

    succeeded = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 400]
    assert len(succeeded) + len(refused) == attempts, [r.text for r in responses]
    assert all(r.json()["message"] == MESSAGE_INSUFFICIENT_BALANCE for r in refused)
    assert len(succeeded) == affordable
    assert balance_of(live_wallet, sender["token"]) == start - affordable * amount >= 0
    assert balance_of(live_wallet, recipient["token"]) == recipient_start + affordable * amount
    assert min(paise(r.json()["balance"]) for r in succeeded) == start - affordable * amount
    assert_ledger_clean(live_wallet)


def test_a_to_b_racing_b_to_a(live_wallet):
    a, b = live_wallet.signup("Alpha"), live_wallet.signup("Beta")
    a_start, b_start = balance_of(live_wallet, a["token"]), balance_of(live_wallet, b["token"])
    per_direction = 16
    requests = [(a["token"], {"to": b["userId"], "amount": "0.01"}, {})] * per_direction + [
        (b["token"], {"to": a["userId"], "amount": "0.02"}, {})
    ] * per_direction

    responses = fire_together(live_wallet, requests)

    assert [r.status_code for r in responses] == [200] * len(requests), [
        r.text for r in responses if r.status_code != 200
    ]
    a_end, b_end = balance_of(live_wallet, a["token"]), balance_of(live_wallet, b["token"])
    assert a_end == a_start - per_direction * 1 + per_direction * 2
    assert b_end == b_start - per_direction * 2 + per_direction * 1
    assert a_end + b_end == a_start + b_start
    assert_ledger_clean(live_wallet)


def test_same_idempotency_key_retried_concurrently_moves_money_once(live_wallet):
    sender, recipient = live_wallet.signup("Retrier"), live_wallet.signup("Payee")
    start = balance_of(live_wallet, sender["token"])
    body = {"to": recipient["userId"], "amount": "0.75"}
    headers = {"Idempotency-Key": "checkout-42"}

    responses = fire_together(live_wallet, [(sender["token"], body, headers)] * 12)

    assert [r.status_code for r in responses] == [200] * 12, [r.text for r in responses]
    assert len({r.json()["transferId"] for r in responses}) == 1
    assert len({r.json()["balance"] for r in responses}) == 1
    assert sum(1 for r in responses if r.headers.get("Idempotent-Replayed") != "true") == 1
    assert balance_of(live_wallet, sender["token"]) == start - 75
    with live_wallet.client(sender["token"]) as client:
        debits = [
            t for t in client.get("/api/v1/account/transactions").json()["transactions"] if t["direction"] == "debit"
        ]
    assert len(debits) == 1
    assert_ledger_clean(live_wallet)
