import uuid

import pytest

from accounts.exceptions import (
    MESSAGE_IDEMPOTENCY_CONFLICT,
    MESSAGE_INSUFFICIENT_BALANCE,
    MESSAGE_INVALID_ACCOUNT,
    MESSAGE_INVALID_AMOUNT,
)
from accounts.models import Account, IdempotencyRecord, LedgerEntry, Transfer
from accounts.views import MESSAGE_TRANSFER_SUCCESS

TRANSFER = "/api/v1/account/transfer"
BALANCE = "/api/v1/account/balance"
pytestmark = pytest.mark.django_db


def balances(*people):
    return [Account.objects.get(user=person).balance for person in people]


def snapshot():
    return (
        list(Account.objects.order_by("pk").values_list("pk", "balance")),
        Transfer.objects.count(),
        LedgerEntry.objects.count(),
        IdempotencyRecord.objects.count(),
    )


@pytest.fixture
def pair(make_person):
    return make_person("Asha", "Rao", grant=10_000), make_person("Bilal", "Khan", grant=5_000)


def test_balance_is_rupees_exact_to_the_paisa(make_person, client_for):
    person = make_person(grant=123_45)
    assert client_for(person).get(BALANCE).json() == {"balance": 123.45, "currency": "INR"}


def test_transfer_moves_exactly_the_amount(pair, client_for):
    asha, bilal = pair
    response = client_for(asha).post(TRANSFER, {"to": str(bilal.public_id), "amount": 12.34}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["message"] == MESSAGE_TRANSFER_SUCCESS
    assert body["balance"] == 87.66
    assert Transfer.objects.filter(public_id=body["transferId"], amount=1234).exists()
    assert balances(asha, bilal) == [10_000 - 1234, 5_000 + 1234]


def test_amount_as_numeric_string_works(pair, client_for):
    asha, bilal = pair
    response = client_for(asha).post(TRANSFER, {"to": str(bilal.public_id), "amount": "0.10"}, format="json")
    assert response.status_code == 200
    assert balances(asha, bilal) == [9_990, 5_010]


def test_whole_balance_can_be_sent_but_not_a_paisa_more(pair, client_for):
    asha, bilal = pair
    client = client_for(asha)
    over = client.post(TRANSFER, {"to": str(bilal.public_id), "amount": 100.01}, format="json")
    assert over.status_code == 400 and over.json()["message"] == MESSAGE_INSUFFICIENT_BALANCE
    exact = client.post(TRANSFER, {"to": str(bilal.public_id), "amount": 100}, format="json")
    assert exact.status_code == 200 and exact.json()["balance"] == 0
    assert balances(asha, bilal) == [0, 15_000]


@pytest.mark.parametrize(
    "raw_amount",
    [
        "1.001",
        "-1",
        "0",
        "0.00",
        "-0.01",
        "NaN",
        "Infinity",
        "-Infinity",
        "true",
        "false",
        "null",
        "1e999999999",
        "1E-999999999",
        '"abc"',
        '"1.001"',
        '""',
        "[]",
        "{}",
        "1000000.01",
        "100000001",
        "1" + "0" * 5000,
        "0.019999999999999999999999999999",  # rounded to 2 paise at Decimal's 28 digits
        '"0.019999999999999999999999999999"',
        "5.0000000000000000000000000000001",  # rounded to ₹5
    ],
)
def test_bad_amounts_are_400_invalid_amount_and_change_nothing(pair, client_for, raw_amount):
    asha, bilal = pair
    before = snapshot()
    raw = f'{{"to": "{bilal.public_id}", "amount": {raw_amount}}}'

    response = client_for(asha).generic("POST", TRANSFER, raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["message"] == MESSAGE_INVALID_AMOUNT
    assert snapshot() == before


def test_missing_amount_is_invalid_amount(pair, client_for):
    asha, bilal = pair
    response = client_for(asha).post(TRANSFER, {"to": str(bilal.public_id)}, format="json")
    assert response.json()["message"] == MESSAGE_INVALID_AMOUNT


@pytest.mark.parametrize("to", [None, "", "not-a-uuid", str(uuid.uuid4()), 42, ["x"], "1", "' OR 1=1 --", "a" * 500])
def test_unknown_or_malformed_recipient_is_invalid_account(pair, client_for, to):
    asha, _ = pair
    before = snapshot()
    response = client_for(asha).post(TRANSFER, {"to": to, "amount": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == MESSAGE_INVALID_ACCOUNT
    assert snapshot() == before


def test_paying_yourself_is_invalid_account(pair, client_for):
    asha, _ = pair
    before = snapshot()
    response = client_for(asha).post(TRANSFER, {"to": str(asha.public_id), "amount": 1}, format="json")
    assert response.json()["message"] == MESSAGE_INVALID_ACCOUNT
    assert snapshot() == before


def test_paying_a_deactivated_person_is_invalid_account(pair, client_for):
    asha, bilal = pair
    bilal.is_active = False
    bilal.save()
    response = client_for(asha).post(TRANSFER, {"to": str(bilal.public_id), "amount": 1}, format="json")
    assert response.json()["message"] == MESSAGE_INVALID_ACCOUNT


@pytest.mark.parametrize("raw", [b"{bad", b"[1, 2]", b'"x"', b"\xff\xfe"])
def test_malformed_body_is_400_and_changes_nothing(pair, client_for, raw):
    asha, _ = pair
    before = snapshot()
    response = client_for(asha).generic("POST", TRANSFER, raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["message"]
    assert snapshot() == before


def test_transfer_needs_a_token(api, pair):
    _, bilal = pair
    response = api.post(TRANSFER, {"to": str(bilal.public_id), "amount": 1}, format="json")
    assert response.status_code == 403 and response.json()["message"]


def test_cannot_move_another_persons_money(pair, client_for, make_person):
    """The sender is always the token's owner: there is no field to name another sender."""
    asha, bilal = pair
    mallory = make_person("Mal", "Lory", grant=100)
    body = {"to": str(mallory.public_id), "amount": 50, "from": str(asha.public_id), "sender": str(asha.public_id)}
    response = client_for(mallory).post(TRANSFER, body, format="json")
    assert response.json()["message"] == MESSAGE_INVALID_ACCOUNT  # paying yourself
    assert balances(asha, bilal, mallory) == [10_000, 5_000, 100]


def test_form_encoded_transfer_from_the_browsable_api(pair, client_for):
    """Url-encoded, as the browsable API's form posts it (core/static/core/browsable-api.js)."""
    from urllib.parse import urlencode

    asha, bilal = pair
    form = urlencode({"to": str(bilal.public_id), "amount": "1.5"})
    response = client_for(asha).post(TRANSFER, form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert balances(asha, bilal) == [9_850, 5_150]


class TestIdempotencyKey:
    def post(self, client, to, amount, key):
        return client.post(
            TRANSFER, {"to": str(to.public_id), "amount": amount}, format="json", HTTP_IDEMPOTENCY_KEY=key
        )

    def test_retry_returns_first_response_and_moves_money_once(self, pair, client_for):
        asha, bilal = pair
        client = client_for(asha)
        first = self.post(client, bilal, 10, "order-1")
        self.post(client, bilal, 5, "order-2")
        retry = self.post(client, bilal, "10.00", "order-1")  # same request, other spelling

        assert retry.status_code == 200
        assert retry.json() == first.json()
        assert retry["Idempotent-Replayed"] == "true"
        assert balances(asha, bilal) == [10_000 - 1500, 5_000 + 1500]

    @pytest.mark.parametrize("hours", [24, 0.5])
    def test_a_key_older_than_idempotency_key_hours_is_a_new_request(self, pair, client_for, settings, hours):
        """Pruned or not: the record still exists here, and it no longer answers."""
        from datetime import timedelta

        from django.utils import timezone

        from accounts.models import IdempotencyRecord

        settings.IDEMPOTENCY_KEY_HOURS = hours
        asha, bilal = pair
        client = client_for(asha)
        first = self.post(client, bilal, 10, "monthly-rent")
        aged = timezone.now() - timedelta(hours=hours, minutes=1)
        IdempotencyRecord.objects.filter(key="monthly-rent").update(created_at=aged)
        again = self.post(client, bilal, 10, "monthly-rent")
        assert again.status_code == 200 and "Idempotent-Replayed" not in again
        assert again.json()["transferId"] != first.json()["transferId"]
        assert balances(asha, bilal) == [10_000 - 2000, 5_000 + 2000]
        assert IdempotencyRecord.objects.filter(key="monthly-rent").count() == 1  # the new one
        replayed = self.post(client, bilal, 10, "monthly-rent")  # and the new one is honoured
        assert replayed["Idempotent-Replayed"] == "true" and replayed.json() == again.json()

    def test_a_key_just_inside_idempotency_key_hours_still_replays(self, pair, client_for, settings):
        from datetime import timedelta

        from django.utils import timezone

        from accounts.models import IdempotencyRecord

        settings.IDEMPOTENCY_KEY_HOURS = 24
        asha, bilal = pair
        client = client_for(asha)
        first = self.post(client, bilal, 10, "k")
        IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=23, minutes=59))
        assert self.post(client, bilal, 10, "k").json() == first.json()
        assert balances(asha, bilal) == [10_000 - 1000, 5_000 + 1000]

    def test_same_key_different_body_is_422(self, pair, client_for, make_person):
        asha, bilal = pair
        carol = make_person("Carol", "D")
        client = client_for(asha)
        self.post(client, bilal, 10, "order-1")
        before = snapshot()
        for other in [self.post(client, bilal, 11, "order-1"), self.post(client, carol, 10, "order-1")]:
            assert other.status_code == 422
            assert other.json()["message"] == MESSAGE_IDEMPOTENCY_CONFLICT
        assert snapshot() == before

    def test_keys_are_scoped_per_user(self, pair, client_for):
        asha, bilal = pair
        self.post(client_for(asha), bilal, 10, "shared-key")
        response = self.post(client_for(bilal), asha, 10, "shared-key")
        assert response.status_code == 200 and "Idempotent-Replayed" not in response
        assert balances(asha, bilal) == [10_000, 5_000]

    def test_a_failed_first_attempt_is_remembered(self, pair, client_for):
        """Stripe's semantics: the key's first outcome is the answer, even when it was an
        error and the sender could afford it by now; a new key is a new attempt."""
        asha, bilal = pair
        client = client_for(asha)
        assert self.post(client, bilal, 120, "big").json()["message"] == MESSAGE_INSUFFICIENT_BALANCE
        assert self.post(client_for(bilal), asha, 50, "top-up").status_code == 200  # asha now has ₹150

        again = self.post(client, bilal, 120, "big")
        assert again.status_code == 400 and again.json()["message"] == MESSAGE_INSUFFICIENT_BALANCE
        assert balances(asha, bilal) == [15_000, 0]
        assert self.post(client, bilal, 120, "big-2").status_code == 200

    @pytest.mark.parametrize("key", ["", " ", "x" * 256, "has space", "tab\tkey", "ünï"])
    def test_bad_key_is_400_and_moves_nothing(self, pair, client_for, key):
        asha, bilal = pair
        before = snapshot()
        response = self.post(client_for(asha), bilal, 1, key)
        assert response.status_code == 400 and response.json()["message"]
        assert snapshot() == before
