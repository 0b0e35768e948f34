"""The one ledger algorithm and its shape: every store implements the whole Protocol, only
the stores ask which database they are on, the retry policy is bounded and jittered, a
transient failure is retried and commits once, and each kind's rules are applied."""

import ast
import inspect
from pathlib import Path

import psycopg
import pytest
from django.db import OperationalError

from accounts import ledger
from accounts.exceptions import AccountFrozen, InsufficientBalance, InvalidAccount
from accounts.models import Account, LedgerEntry, Transfer
from accounts.movements import AccountState, Movement, check
from accounts.services import transfer_create
from accounts.stores import ledger_store
from accounts.stores.base import DatabaseHealth, LedgerStore
from accounts.stores.errors import DatabaseBusy
from accounts.stores.mongo import MongoDatabaseHealth, MongoLedgerStore
from accounts.stores.postgres import PostgresLedgerStore
from accounts.stores.retry import RetryPolicy
from accounts.stores.sql import SqlDatabaseHealth, SqlLedgerStore
from users.stores.base import PeopleStore
from users.stores.mongo import MongoPeopleStore
from users.stores.postgres import PostgresPeopleStore
from users.stores.sql import OrmPeopleStore

PROJECT = Path(__file__).resolve().parents[2]


def protocol_members(protocol) -> list[str]:
    return [name for name, member in vars(protocol).items() if inspect.isfunction(member) and not name.startswith("_")]


@pytest.mark.parametrize(
    ("protocol", "store_class", "at_least"),
    [
        (LedgerStore, SqlLedgerStore, 14),
        (LedgerStore, PostgresLedgerStore, 14),
        (LedgerStore, MongoLedgerStore, 14),
        (DatabaseHealth, SqlDatabaseHealth, 2),
        (DatabaseHealth, MongoDatabaseHealth, 2),
        (PeopleStore, OrmPeopleStore, 3),
        (PeopleStore, PostgresPeopleStore, 3),
        (PeopleStore, MongoPeopleStore, 3),
    ],
)
def test_every_store_implements_every_primitive_of_its_protocol(protocol, store_class, at_least):
    assert len(protocol_members(protocol)) >= at_least
    for name in protocol_members(protocol):
        implemented = getattr(store_class, name, None)
        assert callable(implemented), f"{store_class.__name__} lacks {name}"
        declared = inspect.signature(getattr(protocol, name))
        assert list(inspect.signature(implemented).parameters) == list(declared.parameters), name


def test_only_the_stores_and_settings_ask_which_database_they_are_on():
    asking = "connection." + "vendor"  # spelled apart, so that this file does not match itself
    sources = [p for p in PROJECT.rglob("*.py") if ".venv" not in p.parts and p != Path(__file__)]
    found = [str(p.relative_to(PROJECT)) for p in sources if asking in p.read_text()]
    allowed = ("accounts/stores/", "users/stores/", "users/migrations/", "paytm_site/settings.py")
    assert found and all(path.startswith(allowed) for path in found), found


class TestRetryPolicy:
    def test_a_retryable_failure_runs_the_attempt_again(self, monkeypatch):
        monkeypatch.setattr("accounts.stores.retry.time.sleep", lambda seconds: None)
        outcomes = iter([ValueError("transient"), ValueError("transient"), "done"])

        def attempt():
            outcome = next(outcomes)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        assert RetryPolicy(attempts=3).run(attempt, retryable=lambda e: isinstance(e, ValueError)) == "done"

    def test_attempts_are_bounded_and_then_busy(self, monkeypatch):
        pauses = []
        monkeypatch.setattr("accounts.stores.retry.time.sleep", pauses.append)
        calls = []

        def attempt():
            calls.append(1)
            raise ValueError("always")

        with pytest.raises(DatabaseBusy):
            RetryPolicy(attempts=4).run(attempt, retryable=lambda e: True)
        assert len(calls) == 4 and len(pauses) == 3

    def test_other_errors_are_not_retried(self):
        calls = []

        def attempt():
            calls.append(1)
            raise KeyError("a bug")

        with pytest.raises(KeyError):
            RetryPolicy().run(attempt, retryable=lambda e: isinstance(e, ValueError))
        assert calls == [1]

    def test_pauses_grow_exponentially_with_full_jitter(self):
        policy = RetryPolicy(base_delay=0.01, max_delay=0.1)
        for attempt in range(1, 8):
            ceiling = min(0.1, 0.01 * 2**attempt)
            pauses = [policy.delay(attempt) for _ in range(200)]
            assert all(0 <= pause <= ceiling for pause in pauses)
            assert max(pauses) > ceiling / 2 and min(pauses) < ceiling / 2  # spread, not fixed


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
    receipt = transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=1_234)

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
        transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=100)
    assert len(attempts) == 1 and Transfer.objects.filter(kind="transfer").count() == 0


def wallet(pk, kind="user", balance=1_000, frozen=False) -> AccountState:
    return AccountState(pk=pk, kind=kind, balance=balance, frozen=frozen)


@pytest.mark.parametrize(
    "kind, sender, recipient, amount, refused",
    [
        ("transfer", wallet(1), wallet(2), 1_000, None),
        ("transfer", wallet(1), wallet(2), 1_001, InsufficientBalance),
        ("transfer", wallet(1, frozen=True), wallet(2), 1, AccountFrozen),
        ("transfer", wallet(1), wallet(2, frozen=True), 1, InvalidAccount),
        ("transfer", wallet(1), wallet(1), 1, InvalidAccount),
        ("transfer", wallet(1), None, 1, InvalidAccount),
        ("transfer", wallet(1, kind="issuance", balance=-5), wallet(2), 1, InvalidAccount),
        ("request", wallet(1, frozen=True), wallet(2), 1, AccountFrozen),
        ("grant", wallet(1, kind="issuance", balance=-5), wallet(2), 500, None),
        ("grant", wallet(1), wallet(2), 1, InvalidAccount),
        ("reversal", wallet(1, frozen=True), wallet(2, frozen=True), 1_000, None),
        ("reversal", wallet(1), wallet(2), 1_001, InsufficientBalance),
        ("adjustment", wallet(1, kind="adjustment", balance=0), wallet(2, frozen=True), 5, None),
        ("adjustment", wallet(1, frozen=True), wallet(2, kind="adjustment", balance=-9), 1_000, None),
        ("adjustment", wallet(1), wallet(2, kind="adjustment"), 1_001, InsufficientBalance),
        ("adjustment", wallet(1), wallet(2), 1, InvalidAccount),
    ],
)
def test_each_kind_obeys_its_rules(kind, sender, recipient, amount, refused):
    movement = Movement(kind, 1, 2, amount)
    assert check(movement, sender, recipient) is refused


@pytest.mark.django_db
def test_a_refused_movement_changes_nothing_and_says_why(make_person):
    asha, bilal = make_person("Asha", grant=100), make_person("Bilal")
    Account.objects.filter(user=asha).update(frozen=True)
    outcome = ledger.post(Movement("transfer", asha.account.pk, bilal.account.pk, 50))
    assert outcome == ledger.Refused("account_frozen")
    assert isinstance(outcome.error(), AccountFrozen)
    assert Transfer.objects.filter(kind="transfer").count() == 0


def test_the_algorithm_is_written_once():
    """No store carries its own copy of the algorithm's decisions: the stores never import
    the algorithm, the contract's errors or the function that applies the kinds' rules
    (the ledger checks read the rules themselves, to verify what was stored)."""
    for path in (PROJECT / "accounts" / "stores").glob("*.py"):
        imports = [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.ImportFrom)]
        assert not {node.module for node in imports} & {"accounts.ledger", "accounts.exceptions", "accounts.services"}
        from_movements = {alias.name for node in imports if node.module == "accounts.movements" for alias in node.names}
        assert "check" not in from_movements, path.name
