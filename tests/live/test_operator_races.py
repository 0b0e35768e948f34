"""Operators racing each other and people, on a live PostgreSQL server (the production server with several
worker processes), over HTTP through the console's own forms: two operators reversing one
transfer, a reversal racing a transfer that drains the recipient, an approval double-clicked
and two approvers at once. Afterwards the database is read directly and verify_ledger runs."""

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest

from tests.live.conftest import serve_wallet

pytestmark = pytest.mark.live_server
ROUNDS = 4
REVERSALS_OF = (
    "SELECT count(*) FROM accounts_transfer r JOIN accounts_transfer o ON r.reverses_id = o.id WHERE o.public_id = %s"
)


@pytest.fixture(scope="module")
def wallet(tmp_path_factory):
    with serve_wallet("postgres", tmp_path_factory.mktemp("operator-races")) as live:
        yield live


def together(*calls):
    """Run the calls at the same moment, each on its own thread (and HTTP connection)."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def pay(wallet, sender: dict, recipient: dict, rupees: str):
    with wallet.client(sender["token"]) as client:
        return client.post("/api/v1/account/transfer", json={"to": recipient["userId"], "amount": rupees})


def balance_paise(wallet, person: dict) -> int:
    with wallet.client(person["token"]) as client:
        return round(client.get("/api/v1/account/balance").json()["balance"] * 100)


def assert_ledger_clean(wallet):
    result = wallet.manage("verify_ledger")
    assert result.returncode == 0, result.stdout + result.stderr


def test_two_operators_reversing_one_transfer_make_one_reversal(wallet):
    first, second = wallet.operator("Finance"), wallet.operator("Finance")
    for _ in range(ROUNDS):
        sender, recipient = wallet.signup("Sender"), wallet.signup("Recipient")
        paid = pay(wallet, sender, recipient, "0.30").json()  # grants start at ₹1.00
        page = first.admin_path_of(paid["transferId"])
        responses = together(
            partial(first.post, f"{page}reverse/", {"reason": "duplicate payment"}),
            partial(second.post, f"{page}reverse/", {"reason": "duplicate payment"}),
        )
        assert [r.status_code for r in responses] == [302, 302]
        reversals = wallet.sql(REVERSALS_OF, [paid["transferId"]])
        assert reversals == [(1,)]
        audits = wallet.sql("SELECT count(*) FROM accounts_auditentry WHERE target_id = %s", [paid["transferId"]])
        assert audits == [(1,)]
    assert_ledger_clean(wallet)


def test_a_reversal_racing_a_drain_never_leaves_a_negative_balance(wallet):
    finance = wallet.operator("Finance")
    outcomes = set()
    for _ in range(ROUNDS):
        sender, recipient, elsewhere = wallet.signup("Payer"), wallet.signup("Mule"), wallet.signup("Elsewhere")
        paid = pay(wallet, sender, recipient, "0.50").json()
        everything = f"{balance_paise(wallet, recipient) / 100:.2f}"
        page = finance.admin_path_of(paid["transferId"])
        reverse, drain = together(
            partial(finance.post, f"{page}reverse/", {"reason": "fraud"}),
            partial(pay, wallet, recipient, elsewhere, everything),
        )
        reversed_ = wallet.sql(REVERSALS_OF, [paid["transferId"]])[0][0]
        drained = drain.status_code == 200
        assert reversed_ + drained == 1, (reversed_, drain.status_code, drain.text)  # exactly one of the two won
        assert balance_paise(wallet, recipient) >= 0
        outcomes.add("reversal won" if reversed_ else "drain won")
    negative = wallet.sql("SELECT count(*) FROM accounts_account WHERE kind = 'user' AND balance < 0")
    assert negative == [(0,)]
    assert_ledger_clean(wallet)


def test_an_approval_double_clicked_or_by_two_approvers_posts_once(wallet):
    finance, alice, bob = wallet.operator("Finance"), wallet.operator("Approver"), wallet.operator("Approver")
    for double_click in (True, False):
        for _ in range(ROUNDS // 2):
            person = wallet.signup("Adjusted")
            before = balance_paise(wallet, person)
            person_page = finance.admin_path_of(person["userId"])
            proposed = finance.post(
                f"{person_page}propose-adjustment/", {"direction": "credit", "amount": "7.25", "reason": "goodwill"}
            )
            assert proposed.status_code == 302
            (proposal_pk,) = wallet.sql(
                "SELECT p.id FROM accounts_adjustmentproposal p JOIN accounts_account a ON a.id = p.account_id "
                "JOIN users_user u ON u.id = a.user_id WHERE u.public_id = %s",
                [person["userId"]],
            )[0]
            approve = f"/admin/accounts/adjustmentproposal/{proposal_pk}/approve/"
            second = alice if double_click else bob
            together(partial(alice.post, approve), partial(second.post, approve))
            assert balance_paise(wallet, person) == before + 725
            postings = wallet.sql(
                "SELECT count(*) FROM accounts_transfer t JOIN accounts_adjustmentproposal p ON p.transfer_id = t.id "
                "WHERE p.id = %s",
                [proposal_pk],
            )
            assert postings == [(1,)]
    assert wallet.sql("SELECT count(*) FROM accounts_transfer WHERE kind = 'adjustment'") == [(ROUNDS,)]
    assert wallet.sql("SELECT sum(balance) FROM accounts_account") == [(0,)]
    assert_ledger_clean(wallet)
