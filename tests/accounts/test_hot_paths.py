"""The request paths tuned for speed (docs/PERFORMANCE.md) keep their meaning: the person
loaded for a token is the person in the database, a balance is never served from a
snapshot, and the number of statements per request stays where it was measured."""

import uuid

import pytest
from django.forms.models import model_to_dict

from accounts.exceptions import InvalidAccount
from accounts.selectors import balance_get, wallet_id_for
from accounts.services import transfer_create
from accounts.stores import ledger_store
from accounts.stores.postgres import PostgresLedgerStore
from users.models import User
from users.selectors import user_for_token
from users.tokens import tokens_for

pytestmark = pytest.mark.django_db
BALANCE = "/api/v1/account/balance"
TRANSFER = "/api/v1/account/transfer"


def test_the_person_loaded_for_a_token_is_the_person_in_the_database(make_person):
    person = make_person("Asha", "Rao")
    loaded = user_for_token(public_id=str(person.public_id))

    stored = User.objects.get(pk=person.pk)
    assert model_to_dict(loaded) == model_to_dict(stored)
    assert loaded.password == stored.password and loaded.is_active and loaded.public_id == stored.public_id
    assert loaded.account.pk == stored.account.pk
    assert loaded.account.kind == stored.account.kind


@pytest.mark.parametrize("public_id", ["not-a-uuid", "", str(uuid.uuid4()), None])
def test_unknown_or_malformed_ids_load_nobody(make_person, public_id):
    make_person()
    assert user_for_token(public_id=public_id) is None


def test_an_operator_without_a_wallet_loads_without_one(db):
    operator = User.objects.create_superuser("ops@example.com", "operator pass 123", first_name="O", last_name="P")
    loaded = user_for_token(public_id=operator.public_id)
    assert loaded.pk == operator.pk
    assert balance_get(user=loaded) == 0
    with pytest.raises(InvalidAccount):
        transfer_create(sender=loaded, recipient_id=str(uuid.uuid4()), amount=100)


def test_a_balance_is_read_when_asked_not_when_the_person_was_loaded(make_person):
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=5_000)
    loaded_before = user_for_token(public_id=asha.public_id)

    transfer_create(sender=bilal, recipient_id=str(asha.public_id), amount=1_234)

    assert balance_get(user=loaded_before) == 11_234


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

    with django_assert_num_queries(2):  # the person with their wallet's id; the balance
        assert api.get(BALANCE).status_code == 200
    # the person; the recipient's wallet; savepoint (the test's own transaction stands in
    # for BEGIN); lock; write balances, transfer and entries; release (stands in for COMMIT)
    with django_assert_num_queries(6):
        response = api.post(TRANSFER, {"to": str(bilal.public_id), "amount": "1.00"}, format="json")
    assert response.status_code == 200
