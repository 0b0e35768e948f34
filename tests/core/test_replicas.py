"""Read replicas in-process (core/replicas.py, paytm_site/databases.py): the router, where
`read_alias` sends a read (healthy replicas in turn; the primary when none is, or for a person
pinned by a change of their own), the health verdicts and the pins. Against a real streaming
replica, over HTTP: tests/live/test_replicas.py."""

from datetime import date
from types import SimpleNamespace

import psycopg
import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, ProgrammingError
from django.utils.connection import ConnectionDoesNotExist

from accounts.models import Account, Transfer
from core import metrics, replicas
from paytm_site import databases

PRIMARY = databases.database_from_url("postgres://u@db:5432/wallet", conn_max_age=60)
# Configured as replicas, known to no connection: a read sent to one fails loudly.
GHOSTS = ["replica_1", "replica_2"]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Probe:
    """Stands in for the lag query: `lags[alias]` seconds, or raises it if it is an exception."""

    def __init__(self, **lags):
        self.lags, self.calls = lags, []

    def __call__(self, alias):
        self.calls.append(alias)
        lag = self.lags.get(alias, 0.0)
        if isinstance(lag, BaseException):
            raise lag
        return lag


@pytest.fixture(autouse=True)
def _fresh_health():
    replicas.health.forget()
    yield
    replicas.health.forget()


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(replicas, "clock", clock)
    return clock


@pytest.fixture
def configured(monkeypatch, clock, settings):
    """Two replicas configured, both healthy (lag 0) unless the test's probe says otherwise."""
    settings.REPLICA_MAX_LAG_SECONDS = 5
    settings.REPLICA_PIN_SECONDS = 10
    monkeypatch.setattr(replicas, "replica_aliases", lambda: list(GHOSTS))
    probe = Probe()
    monkeypatch.setattr(replicas, "probe_lag", probe)
    return probe


def replica_reads(alias: str) -> float:
    return metrics.REPLICA_READS.labels(alias)._value.get()


class Person:
    def __init__(self, pk):
        self.pk = pk


# -- the router ------------------------------------------------------------------------------


def test_the_router_sends_writes_and_unnamed_reads_to_the_primary_and_migrates_only_there():
    router = replicas.PrimaryReplicaRouter()
    from_replica = Transfer()
    from_replica._state.db = "replica_1"
    assert router.db_for_read(Transfer) == "default"
    assert router.db_for_read(Transfer, instance=Transfer()) == "default"  # not loaded anywhere yet
    # What an object read from a replica refers to loads from there; saving it goes to the primary.
    assert router.db_for_read(Account, instance=from_replica) == "replica_1"
    assert router.db_for_write(Transfer) == router.db_for_write(Transfer, instance=from_replica) == "default"
    assert router.allow_relation(from_replica, Account()) is True
    assert router.allow_migrate("default", "accounts") is True
    assert router.allow_migrate("replica_1", "accounts") is False


def test_the_settings_route_through_it(settings):
    assert settings.DATABASE_ROUTERS == ["core.replicas.PrimaryReplicaRouter"]
    assert settings.REPLICA_PIN_SECONDS == 10 and settings.REPLICA_MAX_LAG_SECONDS == 5


# -- DATABASE_REPLICA_URLS -> DATABASES --------------------------------------------------------


def test_replica_urls_become_replica_entries_tuned_like_the_primary():
    entries = databases.replica_databases(
        ["postgres://reader:secret@r1:5432/wallet", "postgresql://r2/wallet?connect_timeout=7"],
        primary=PRIMARY,
        conn_max_age=60,
    )
    assert list(entries) == ["replica_1", "replica_2"]
    first, second = entries.values()
    assert (first["HOST"], first["USER"], first["NAME"], first["CONN_MAX_AGE"]) == ("r1", "reader", "wallet", 60)
    assert first["OPTIONS"] == {**PRIMARY["OPTIONS"], "connect_timeout": 2}  # prepared statements as the primary
    assert second["OPTIONS"]["connect_timeout"] == 7  # the URL's own wins
    assert first["CONN_HEALTH_CHECKS"] is True
    assert first["TEST"] == {"MIRROR": "default"}  # the test runner makes no database for it
    assert databases.replica_databases([], primary=PRIMARY, conn_max_age=60) == {}


def test_only_postgresql_replicas_of_a_postgresql_primary():
    with pytest.raises(ImproperlyConfigured, match="URL 2 is not PostgreSQL") as refused:
        databases.replica_databases(["postgres://r1/w", "mysql://u:hunter2@r2/w"], primary=PRIMARY, conn_max_age=60)
    assert "hunter2" not in str(refused.value)
    for url in ("sqlite:///replica.sqlite3", "mongodb://r/w"):
        with pytest.raises(ImproperlyConfigured, match="not PostgreSQL"):
            databases.replica_databases([url], primary=PRIMARY, conn_max_age=60)
    sqlite = databases.database_from_url("sqlite:///db.sqlite3", conn_max_age=60)
    with pytest.raises(ImproperlyConfigured, match="needs a PostgreSQL DATABASE_URL"):
        databases.replica_databases(["postgres://r1/w"], primary=sqlite, conn_max_age=60)


# -- read_alias ------------------------------------------------------------------------------


def test_without_replicas_every_read_is_the_primarys_and_nothing_is_checked(monkeypatch):
    monkeypatch.setattr(replicas, "probe_lag", Probe(replica_1=AssertionError("checked")))
    assert replicas.read_alias() == replicas.read_alias(for_user=Person(1)) == "default"


def test_healthy_replicas_serve_in_turn_and_each_read_is_counted(configured):
    before = replica_reads("replica_1"), replica_reads("replica_2")
    chosen = [replicas.read_alias() for _ in range(4)]
    assert sorted(chosen) == ["replica_1", "replica_1", "replica_2", "replica_2"]
    assert chosen[0] != chosen[1]
    assert (replica_reads("replica_1") - before[0], replica_reads("replica_2") - before[1]) == (2, 2)


def test_a_verdict_stands_for_a_while_then_the_replica_is_checked_again(configured, clock):
    for _ in range(5):
        replicas.read_alias()
    assert configured.calls == GHOSTS  # once each
    clock.now += replicas.CHECK_EVERY
    replicas.read_alias()
    assert configured.calls == GHOSTS * 2


def test_a_replica_lagging_past_the_limit_is_skipped_until_it_catches_up(configured, clock, settings):
    configured.lags["replica_1"] = 5.5
    assert {replicas.read_alias() for _ in range(4)} == {"replica_2"}
    configured.lags["replica_2"] = None  # cannot tell how far behind: skipped too
    clock.now += replicas.CHECK_EVERY
    assert replicas.read_alias() == "default"
    configured.lags.update(replica_1=5.0, replica_2=0.0)  # within the limit
    clock.now += replicas.CHECK_EVERY
    assert {replicas.read_alias() for _ in range(4)} == set(GHOSTS)
    settings.REPLICA_MAX_LAG_SECONDS = 0.5
    clock.now += replicas.CHECK_EVERY
    assert {replicas.read_alias() for _ in range(4)} == {"replica_2"}


def test_an_unreachable_replica_is_skipped_never_raised_and_tried_again_later(configured, clock):
    configured.lags["replica_1"] = OperationalError("connection refused")
    assert {replicas.read_alias() for _ in range(4)} == {"replica_2"}
    clock.now += replicas.CHECK_EVERY  # replica_2 is checked again, replica_1 left alone
    replicas.read_alias()
    assert configured.calls == ["replica_1", "replica_2", "replica_2"]
    configured.lags["replica_1"] = RuntimeError("anything at all")
    clock.now += replicas.RETRY_AFTER
    assert replicas.read_alias() == "replica_2"
    configured.lags.update(replica_1=0.0, replica_2=OperationalError("gone"))
    clock.now += replicas.RETRY_AFTER
    assert {replicas.read_alias() for _ in range(4)} == {"replica_1"}


def test_while_another_thread_checks_a_replica_never_checked_reads_go_to_the_primary(configured):
    assert replicas.health._checking.acquire(blocking=False)
    try:
        assert replicas.read_alias() == "default"
        assert configured.calls == []
    finally:
        replicas.health._checking.release()
    assert replicas.read_alias() in GHOSTS


def test_a_pinned_person_reads_the_primary_for_the_pin_seconds(configured, settings):
    settings.REPLICA_PIN_SECONDS = 1
    asha, bilal = Person(41), Person(42)
    replicas.pin_to_primary(asha.pk)
    assert replicas.read_alias(for_user=asha) == "default"
    assert replicas.read_alias(for_user=bilal) in GHOSTS  # only her own reads
    assert replicas.read_alias(for_user=None) in GHOSTS
    assert replicas.read_alias(for_user=Person(None)) in GHOSTS  # anonymous
    cache.delete(replicas.pin_key(asha.pk))  # what the pin's timeout does (checked next)
    assert replicas.read_alias(for_user=asha) in GHOSTS


def test_a_pin_expires(configured, settings):
    import time

    settings.REPLICA_PIN_SECONDS = 1
    replicas.pin_to_primary(7)
    assert replicas.read_alias(for_user=Person(7)) == "default"
    time.sleep(1.1)
    assert replicas.read_alias(for_user=Person(7)) in GHOSTS


def test_without_replicas_pinning_writes_nothing(monkeypatch):
    monkeypatch.setattr(cache, "set", lambda *args, **kwargs: pytest.fail("a cache write without replicas"))
    replicas.pin_to_primary(7)


def test_a_failing_cache_never_fails_the_change_and_sends_reads_to_the_primary(configured, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "set", broken)
    monkeypatch.setattr(cache, "get", broken)
    replicas.pin_to_primary(7)
    assert replicas.read_alias(for_user=Person(7)) == "default"
    assert replicas.read_alias() in GHOSTS


# -- read_on_replica -------------------------------------------------------------------------


def test_a_replica_failing_mid_read_is_skipped_and_the_primary_answers(configured):
    def read(alias):
        if alias != "default":
            raise OperationalError("server closed the connection unexpectedly")
        return ["from the primary"]

    assert replicas.read_on_replica(read) == ["from the primary"]
    # The replica that failed is left alone for a while; the other still serves.
    down = [alias for alias in GHOSTS if not replicas.health.usable(alias)]
    assert len(down) == 1
    assert {replicas.read_alias() for _ in range(4)} == set(GHOSTS) - set(down)


def test_a_read_that_is_wrong_fails_as_it_would_on_the_primary(configured):
    def read(alias):
        raise ProgrammingError("column does not exist")

    with pytest.raises(ProgrammingError):
        replicas.read_on_replica(read)
    assert all(replicas.health.usable(alias) for alias in GHOSTS)


# -- who reads where ---------------------------------------------------------------------------


@pytest.fixture
def ghost_replica(configured, monkeypatch):
    """One healthy replica that no connection knows: whatever reads it fails with
    ConnectionDoesNotExist, so a test sees exactly which reads go to a replica."""
    monkeypatch.setattr(replicas, "replica_aliases", lambda: ["replica_1"])
    return "replica_1"


@pytest.mark.django_db
def test_search_history_statements_and_the_overview_read_the_replica(ghost_replica, make_person):
    from accounts.selectors import operations_overview, transactions_list
    from accounts.statements import period_entries, statement_get
    from users.selectors import user_search

    asha = make_person("Asha")
    cache.delete(replicas.pin_key(asha.pk))  # her sign-up pinned her: long ago, say
    day = date(2025, 1, 1)
    for read in (
        lambda: user_search(query="Asha"),
        lambda: user_search(query="Asha", exclude=asha),
        lambda: transactions_list(user=asha),
        lambda: statement_get(user=asha, first_day=day, last_day=day),
        lambda: list(period_entries(user=asha, first_day=day, last_day=day)),
        lambda: operations_overview(),
    ):
        with pytest.raises(ConnectionDoesNotExist):
            read()
    assert period_entries(user=asha, first_day=day, last_day=day).db == ghost_replica  # bound when made


@pytest.mark.django_db
def test_money_balances_sign_in_tokens_and_the_ledger_check_never_read_a_replica(ghost_replica, make_person):
    from accounts.ledger_checks import ledger_verify
    from accounts.money_requests import request_create, request_pay
    from accounts.selectors import balance_get, payable_person
    from accounts.services import transfer_create
    from tests.conftest import PASSWORD
    from users.selectors import user_for_token
    from users.services import access_token_refresh, user_signin, user_update
    from users.tokens import tokens_for

    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=10_000)
    transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=100, idempotency_key="k-1")
    transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=100, idempotency_key="k-1")  # replayed
    request = request_create(requester=asha, payer_id=str(bilal.public_id), amount=250)
    request_pay(payer=bilal, request_id=str(request.public_id))
    assert balance_get(user=asha) == 10_000 - 100 + 250
    assert payable_person(bilal.public_id) == bilal
    assert user_signin(email=asha.email, password=PASSWORD) == asha
    assert user_for_token(public_id=str(asha.public_id)) == asha
    assert "token" in access_token_refresh(refresh=tokens_for(asha)["refresh"])
    user_update(user=asha, first_name="Asha Devi")
    assert ledger_verify().ok


@pytest.mark.django_db
def test_whoever_moves_money_or_changes_their_profile_is_pinned(configured, make_person):
    from accounts.exceptions import InsufficientBalance
    from accounts.money_requests import request_create, request_pay
    from accounts.services import transfer_create
    from users.services import user_update

    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=10_000)
    assert cache.get(replicas.pin_key(asha.pk)) is not None  # sign-up, after the grant

    def pinned(person) -> bool:
        return replicas.read_alias(for_user=person) == "default"

    cache.clear()
    transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=100)
    assert pinned(asha) and not pinned(bilal)  # the sender; the recipient sees it when the replica has it

    cache.clear()
    request = request_create(requester=bilal, payer_id=str(asha.public_id), amount=100)
    assert pinned(bilal) and not pinned(asha)
    cache.clear()
    request_pay(payer=asha, request_id=str(request.public_id))
    assert pinned(asha) and not pinned(bilal)

    cache.clear()
    user_update(user=bilal, last_name="Khan")
    assert pinned(bilal)

    cache.clear()
    with pytest.raises(InsufficientBalance):
        transfer_create(sender=bilal, recipient_id=str(asha.public_id), amount=10_000_000)
    assert not pinned(bilal)  # nothing moved
    user_update(user=bilal)  # nothing changed
    assert not pinned(bilal)


@pytest.mark.django_db
def test_without_replicas_a_transfer_writes_no_pin(make_person):
    from accounts.services import transfer_create

    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=10_000)
    transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=100)
    assert cache.get(replicas.pin_key(asha.pk)) is None


class Entries:
    """Stands in for a queryset of ledger entries bound to `db`; on a replica, the cursor
    breaks with `error` after `breaks_after` rows (the replica stopped mid-statement)."""

    def __init__(self, rows, db, breaks_after=None, error=None, after=None):
        self.rows, self.db, self.breaks_after, self.error, self.after = rows, db, breaks_after, error, after

    def order_by(self, *fields):
        return self

    def using(self, alias):
        breaks_after = self.breaks_after if alias != "default" else None
        return Entries(self.rows, alias, breaks_after, self.error, self.after)

    def filter(self, pk__gt):
        return Entries(self.rows, self.db, self.breaks_after, self.error, pk__gt)

    def iterator(self, chunk_size):
        rows = [row for row in self.rows if self.after is None or row.pk > self.after]
        for number, row in enumerate(rows):
            if number == self.breaks_after:
                raise self.error
            yield row
        if self.breaks_after == len(rows):  # closing the cursor after the last row
            raise self.error


DJANGOS = OperationalError("terminating connection due to administrator command")
DRIVERS = psycopg.errors.AdminShutdown("terminating connection due to unexpected postmaster exit")


@pytest.mark.parametrize(("breaks_after", "error"), [(0, DJANGOS), (2, DJANGOS), (2, DRIVERS), (4, DRIVERS)])
def test_a_statement_streamed_from_a_replica_that_stops_ends_from_the_primary(
    configured, monkeypatch, breaks_after, error
):
    """Django leaves the driver's error unwrapped where it closes a server-side cursor."""
    from accounts.statements import _streamed

    monkeypatch.setattr(replicas, "connections", {"replica_1": SimpleNamespace(Database=psycopg, close=lambda: None)})
    rows = [Person(pk) for pk in (3, 5, 8, 13)]
    assert [row.pk for row in _streamed(Entries(rows, "replica_1", breaks_after, error))] == [3, 5, 8, 13]
    assert not replicas.health.usable("replica_1")


def test_a_statement_whose_primary_fails_fails(configured):
    from accounts.statements import _streamed

    with pytest.raises(OperationalError):  # an outage like any other: 503
        list(_streamed(Entries([Person(3), Person(5)], "default", breaks_after=1, error=DJANGOS)))
    with pytest.raises(ValueError):  # not an outage: a bug, raised wherever it happens
        list(_streamed(Entries([Person(3), Person(5)], "replica_1", breaks_after=1, error=ValueError("bug"))))
