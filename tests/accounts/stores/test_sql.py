"""The SQL stores (accounts/stores/sql.py, postgres.py) on the database in use: what each
reports as transient is retried and commits once, what is not is not; a unique clash names
its fields; a unit of work is never run inside another transaction."""

import psycopg
import pytest
from django.db import OperationalError

from accounts.models import Account, LedgerEntry, Transfer
from accounts.services import transfer_create
from accounts.stores import ledger_store
from accounts.stores.errors import UniqueViolation
from accounts.stores.postgres import PostgresLedgerStore
from accounts.stores.sql import SqlLedgerStore


def serialization_failure() -> OperationalError:
    return _django_error(psycopg.errors.SerializationFailure("could not serialize access due to concurrent update"))


def deadlock_detected() -> OperationalError:
    return _django_error(psycopg.errors.DeadlockDetected("deadlock detected"))


def _django_error(cause) -> OperationalError:
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


TRANSIENT_FAILURES = {  # by the store in use (PostgresLedgerStore is a SqlLedgerStore: it comes first)
    PostgresLedgerStore: [serialization_failure, deadlock_detected],
    SqlLedgerStore: [lambda: OperationalError("database is locked")],
}


@pytest.mark.parametrize("failure_number", [0, 1])
@pytest.mark.django_db(transaction=True)
def test_a_transient_failure_is_retried_and_the_transfer_commits_once(make_person, monkeypatch, failure_number):
    store_class = type(ledger_store())
    failures = TRANSIENT_FAILURES[store_class]
    if failure_number >= len(failures):
        pytest.skip(f"{store_class.__name__} has {len(failures)} kind(s) of transient failure")
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=5_000)
    real_lock = store_class.lock_accounts
    attempts = []

    def lock_failing_once(self, *pks):
        attempts.append(pks)
        if len(attempts) == 1:
            raise failures[failure_number]()
        return real_lock(self, *pks)

    monkeypatch.setattr(store_class, "lock_accounts", lock_failing_once)
    # with a key, the long way (a unit of work) on every database: see test_postgres.py for the short one
    receipt = transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=1_234, idempotency_key="k-1")

    assert len(attempts) == 2
    assert Transfer.objects.filter(kind="transfer").count() == 1
    assert LedgerEntry.objects.filter(transfer__public_id=receipt.transfer_id).count() == 2
    assert receipt.sender_balance == 10_000 - 1_234
    assert Account.objects.get(user=bilal).balance == 5_000 + 1_234


@pytest.mark.django_db(transaction=True)
def test_a_failure_that_is_not_transient_is_not_retried(make_person, monkeypatch):
    asha, bilal = make_person("Asha"), make_person("Bilal")
    store_class = type(ledger_store())
    attempts = []

    def broken(self, *pks):
        attempts.append(pks)
        raise OperationalError("no such column: frozen")

    monkeypatch.setattr(store_class, "lock_accounts", broken)
    with pytest.raises(OperationalError):
        transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=100, idempotency_key="k-1")
    assert len(attempts) == 1 and Transfer.objects.filter(kind="transfer").count() == 0


@pytest.mark.django_db
def test_the_store_reports_which_field_clashed(make_person):
    """The real unique index, through the real store: a second person with the same email
    is a clash on `email` (and only that one is "Email already taken")."""
    from accounts.services import account_open_with_grant
    from users.models import User

    first = make_person(email="same@example.com")
    with pytest.raises(UniqueViolation) as raised:
        account_open_with_grant(user=User(email=first.email, first_name="A", last_name="B", password="x"), grant=100)
    assert raised.value.fields == {"email"}
    with pytest.raises(UniqueViolation) as raised:
        duplicate = User(email="other@example.com", first_name="A", last_name="B", password="x")
        duplicate.public_id = first.public_id
        account_open_with_grant(user=duplicate, grant=100)
    assert raised.value.fields == {"public_id"}


@pytest.mark.django_db(transaction=True)
def test_a_unit_of_work_inside_an_open_transaction_is_a_loud_error(make_person):
    """It could not be retried on its own, and a silent savepoint would hide that."""
    from django.db import transaction

    from accounts.services import account_open_with_grant
    from users.models import User

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        account_open_with_grant(user=User(email="nested@example.com", first_name="N", last_name="Ested"), grant=100)
    assert not User.objects.filter(email="nested@example.com").exists()
    store = ledger_store()
    with pytest.raises(RuntimeError, match="durable"):
        store.run(lambda unit: unit.run(lambda inner: None))  # a unit inside a unit, too


@pytest.mark.django_db(transaction=True)
def test_a_retried_unit_of_work_inserts_its_rows_afresh(monkeypatch):
    """The first attempt inserts the person, then fails transiently; the rollback takes the
    row away but leaves the instance its key, which another sign-up may take meanwhile (on
    SQLite the freed id is given again): the store's insert starts the instance afresh."""
    from accounts.services import account_open_with_grant
    from users.models import User

    store_class = type(ledger_store())
    real = store_class.system_account
    calls = []

    def locked_once(self, kind):
        calls.append(kind)
        if len(calls) == 1:
            raise OperationalError("database is locked") if store_class is SqlLedgerStore else serialization_failure()
        return real(self, kind)

    def someone_else_signs_up_meanwhile(seconds):
        account_open_with_grant(user=User(email="other@example.com", first_name="O", last_name="Ther"), grant=100)

    monkeypatch.setattr(store_class, "system_account", locked_once)
    monkeypatch.setattr("accounts.stores.retry.time.sleep", someone_else_signs_up_meanwhile)
    person = account_open_with_grant(
        user=User(email="afresh@example.com", first_name="A", last_name="Fresh"), grant=100
    )
    assert len(calls) == 3  # the failure, the other sign-up's, the retry
    assert User.objects.count() == 2
    assert User.objects.filter(email="afresh@example.com").count() == 1
    assert User.objects.get(email="afresh@example.com").pk == person.pk and not person._state.adding
    assert Account.objects.get(user=person).balance == 100


@pytest.mark.django_db(transaction=True)
def test_a_connection_to_a_demoted_primary_is_dropped_and_the_transfer_retried(make_person):
    """After a failover, a connection made to the old primary can still read but never write
    (SQLSTATE 25006): the store drops it and runs the unit of work again on a new connection
    (which target_session_attrs=read-write points at the new primary); the client sees 200."""
    from django.db import connection

    if not isinstance(ledger_store(), PostgresLedgerStore):
        pytest.skip("a read-only server is a PostgreSQL failover's")
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=5_000)
    with connection.cursor() as cursor:  # this connection now behaves as one to a standby
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    demoted = connection.connection
    receipt = transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=1_234)
    assert demoted.closed and connection.connection is not demoted
    assert receipt.sender_balance == 10_000 - 1_234
    assert Account.objects.get(user=bilal).balance == 5_000 + 1_234
