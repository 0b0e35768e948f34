"""Reads of wallets (accounts/selectors.py): history pages, the hot reads every request makes
(balance, a wallet by public id), and how many statements they cost on PostgreSQL."""

import uuid

import pytest

from accounts.exceptions import InvalidAccount
from accounts.selectors import balance_for_request, balance_get, wallet_id_for
from accounts.services import transfer_create
from accounts.stores import ledger_store
from accounts.stores.postgres import PostgresLedgerStore
from users.models import User
from users.selectors import user_for_token
from users.tokens import tokens_for

pytestmark = pytest.mark.django_db


# -- history --------------------------------------------------------------------------------

HISTORY = "/api/v1/account/transactions"


def test_history_newest_first_with_both_sides(make_person, client_for):
    asha, bilal = make_person("Asha", "Rao", grant=10_000), make_person("Bilal", "Khan", grant=5_000)
    first = transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=250)
    second = transfer_create(sender=bilal, recipient_id=str(asha.public_id), amount=1_000)

    rows = client_for(asha).get(HISTORY).json()["transactions"]

    assert [row["id"] for row in rows[:2]] == [second.transfer_id, first.transfer_id]
    assert rows[0] == {
        "id": second.transfer_id,
        "kind": "transfer",
        "direction": "credit",
        "amount": 10,
        "balanceAfter": 107.5,
        "counterparty": {"_id": str(bilal.public_id), "firstName": "Bilal", "lastName": "Khan"},
        "note": "",
        "createdAt": rows[0]["createdAt"],
    }
    assert rows[1]["direction"] == "debit" and rows[1]["amount"] == 2.5 and rows[1]["balanceAfter"] == 97.5
    assert rows[2]["kind"] == "grant" and rows[2]["counterparty"] is None and rows[2]["amount"] == 100
    bilal_rows = client_for(bilal).get(HISTORY).json()["transactions"]
    assert bilal_rows[0]["direction"] == "debit" and bilal_rows[1]["direction"] == "credit"


def test_cursor_pages_cover_every_entry_once(make_person, client_for):
    asha, bilal = make_person("Asha", "Rao", grant=100_000), make_person("Bilal", "Khan")
    for amount in range(1, 12):
        transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=amount)
    client = client_for(asha)
    seen, cursor = [], None
    while True:
        body = client.get(HISTORY, {"limit": 5, **({"cursor": cursor} if cursor else {})}).json()
        seen += [row["id"] for row in body["transactions"]]
        cursor = body["next"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 12  # 11 payments and the grant


@pytest.mark.parametrize("cursor", ["!!!", "bm90LWEtbnVtYmVy", "LTU", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk"])
def test_bad_cursor_is_400(make_person, client_for, cursor):
    response = client_for(make_person()).get(HISTORY, {"cursor": cursor})
    assert response.status_code == 400 and response.json()["message"] == "Invalid cursor"


def test_history_needs_a_token(api):
    assert api.get(HISTORY).status_code == 403


def test_history_shows_only_my_entries(make_person, client_for):
    asha, bilal, carol = make_person("Asha", "R"), make_person("Bilal", "K"), make_person("Carol", "D")
    transfer_create(sender=bilal, recipient_id=str(carol.public_id), amount=100)
    rows = client_for(asha).get(HISTORY).json()["transactions"]
    assert [row["kind"] for row in rows] == ["grant"]


# -- the hot reads --------------------------------------------------------------------------

BALANCE = "/api/v1/account/balance"
TRANSFER = "/api/v1/account/transfer"


def test_a_balance_is_read_when_asked_not_when_the_person_was_loaded(make_person):
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=5_000)
    loaded_before = user_for_token(public_id=asha.public_id)

    transfer_create(sender=bilal, recipient_id=str(asha.public_id), amount=1_234)

    assert balance_get(user=loaded_before) == 11_234


def test_a_balance_request_answers_the_balance_read_with_the_person_where_it_came_with_them(make_person):
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=5_000)
    operator = User.objects.create_superuser("ops@example.com", "operator pass 123", first_name="O", last_name="P")
    loaded = user_for_token(public_id=asha.public_id)

    transfer_create(sender=bilal, recipient_id=str(asha.public_id), amount=1_234)

    read_with_person = isinstance(ledger_store(), PostgresLedgerStore)
    assert balance_for_request(user=loaded) == (10_000 if read_with_person else 11_234)
    assert balance_get(user=loaded) == 11_234  # everything else reads it when asked
    assert balance_for_request(user=User.objects.get(pk=asha.pk)) == 11_234  # loaded alone (pages' sessions)
    assert balance_for_request(user=user_for_token(public_id=operator.public_id)) == 0


def test_a_deactivated_sender_loaded_earlier_cannot_send(make_person):
    asha, bilal = make_person("Asha"), make_person("Bilal")
    loaded = user_for_token(public_id=asha.public_id)
    loaded.is_active = False
    with pytest.raises(InvalidAccount):
        transfer_create(sender=loaded, recipient_id=str(bilal.public_id), amount=100)


def test_wallet_lookup_ignores_inactive_people(make_person):
    person = make_person()
    assert wallet_id_for(public_id=person.public_id) == person.account.pk
    User.objects.filter(pk=person.pk).update(is_active=False)
    assert wallet_id_for(public_id=person.public_id) is None
    assert wallet_id_for(public_id=uuid.uuid4()) is None


@pytest.mark.skipif(
    not isinstance(ledger_store(), PostgresLedgerStore), reason="statement counts measured on PostgreSQL"
)
def test_statements_per_request_on_postgresql(make_person, api, django_assert_num_queries):
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=5_000)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(asha)['token']}")

    with django_assert_num_queries(1):  # the person with their wallet's id and its balance
        assert api.get(BALANCE).json()["balance"] == 100
    # the person; the recipient's wallet; one statement that locks, checks and writes both
    # balances, the transfer and its entries, and commits by itself (POST_AT_ONCE_SQL)
    with django_assert_num_queries(3):
        response = api.post(TRANSFER, {"to": str(bilal.public_id), "amount": "1.00"}, format="json")
    assert response.status_code == 200


def test_the_overview_counts_only_adjustments_that_can_still_be_approved(make_person, operator):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import ADJUSTMENT_APPROVAL_DAYS, AdjustmentProposal
    from accounts.operations import adjustment_propose
    from accounts.selectors import operations_overview

    person, finance = make_person(), operator("Finance")
    for _ in range(2):
        adjustment_propose(operator=finance, person=person, direction="credit", amount=100, reason="refund")
    old = AdjustmentProposal.objects.first()
    AdjustmentProposal.objects.filter(pk=old.pk).update(
        proposed_at=timezone.now() - timedelta(days=ADJUSTMENT_APPROVAL_DAYS, minutes=1)
    )
    assert operations_overview().proposals_waiting == 1
