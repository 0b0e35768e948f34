"""A money request is paid at most once, whatever races it, on a live PostgreSQL server with
several worker processes and concurrent HTTP clients: pay against pay, pay against cancel,
pay against decline, and pays fired around the moment the request expires."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from tests.live.conftest import serve_wallet

pytestmark = pytest.mark.live_server
ROUNDS = 4
REQUESTS = "/api/v1/account/requests"


@pytest.fixture(scope="module")
def wallet(tmp_path_factory):
    with serve_wallet("postgres", tmp_path_factory.mktemp("request-races")) as live:
        yield live


def post(wallet, token, path, headers=None):
    with wallet.client(token) as client:
        return client.post(path, headers=headers or {})


def together(calls: list):
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def ask(wallet, requester, payer, amount="0.50") -> str:  # grants start at ₹1.00: always affordable
    with wallet.client(requester["token"]) as client:
        response = client.post(REQUESTS, json={"from": payer["userId"], "amount": amount, "note": "race"})
    assert response.status_code == 200, response.text
    return response.json()["requestId"]


def payments_of(wallet, request_id) -> int:
    (count,) = wallet.sql(
        "SELECT count(t.id) FROM accounts_moneyrequest r LEFT JOIN accounts_transfer t ON t.id = r.transfer_id "
        "WHERE r.public_id = %s",
        [request_id],
    )[0]
    return count


def pay_after(wallet, token, path, delay: float):
    time.sleep(delay)
    return post(wallet, token, path)


def request_transfers(wallet) -> int:
    return wallet.sql("SELECT count(*) FROM accounts_transfer WHERE kind = 'request'")[0][0]


def assert_ledger_clean(wallet):
    result = wallet.manage("verify_ledger")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("rival", ["pay", "pay-with-one-key", "cancel", "decline"])
def test_a_request_is_paid_at_most_once_whatever_races_it(wallet, rival):
    before = request_transfers(wallet)
    paid_rounds = 0
    for _ in range(ROUNDS):
        requester, payer = wallet.signup("Asker"), wallet.signup("Payer")
        request_id = ask(wallet, requester, payer)
        pay = partial(post, wallet, payer["token"], f"{REQUESTS}/{request_id}/pay")
        calls = {
            "pay": [pay] * 6,
            "pay-with-one-key": [partial(pay, {"Idempotency-Key": "same"})] * 6,
            "cancel": [pay] * 3 + [partial(post, wallet, requester["token"], f"{REQUESTS}/{request_id}/cancel")] * 3,
            "decline": [pay] * 3 + [partial(post, wallet, payer["token"], f"{REQUESTS}/{request_id}/decline")] * 3,
        }[rival]
        responses = together(calls)
        statuses = [r.status_code for r in responses]
        assert set(statuses) <= {200, 409}, [r.text for r in responses]
        payments = payments_of(wallet, request_id)
        assert payments <= 1
        paid_rounds += payments
        (status,) = wallet.sql("SELECT status FROM accounts_moneyrequest WHERE public_id = %s", [request_id])[0]
        assert status in {"paid", "cancelled", "declined"}
        assert (status == "paid") == (payments == 1)
        if rival.startswith("pay"):
            assert payments == 1
    assert request_transfers(wallet) - before == paid_rounds
    assert_ledger_clean(wallet)


def test_pays_around_the_moment_of_expiry_pay_at_most_once_and_never_after_it(wallet):
    for _ in range(ROUNDS):
        requester, payer = wallet.signup("Asker"), wallet.signup("Payer")
        request_id = ask(wallet, requester, payer)
        expires = datetime.now(UTC) + timedelta(milliseconds=400)
        wallet.sql("UPDATE accounts_moneyrequest SET expires_at = %s WHERE public_id = %s", [expires, request_id])

        pay = partial(pay_after, wallet, payer["token"], f"{REQUESTS}/{request_id}/pay")
        responses = together([partial(pay, delay / 10) for delay in range(8)])  # from 0 to 0.7 s
        assert {r.status_code for r in responses} <= {200, 409}
        assert payments_of(wallet, request_id) <= 1
        decided = wallet.sql("SELECT status, decided_at FROM accounts_moneyrequest WHERE public_id = %s", [request_id])
        status, decided_at = decided[0]
        if status == "paid":
            assert decided_at < expires  # accepted before it expired
        else:
            assert status == "pending"  # and now reads as expired
    assert_ledger_clean(wallet)
