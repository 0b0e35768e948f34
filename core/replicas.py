"""Read replicas (SPEC, "Production operations"): which database a read goes to.

- `PrimaryReplicaRouter` (settings.DATABASE_ROUTERS): every write, and every read that does
  not name its database, goes to the primary ("default"); migrations run there only. So
  whatever moves or checks money (transfers, requests, balances, sign-in, token checks,
  verify_ledger) reads the primary without asking anything.
- `read_alias(for_user=…)`: the database for a read that may be a moment stale (search,
  history, statements, the console's lists and overview): a healthy replica, or the primary
  when none is configured or healthy, or when `for_user` has just moved money or changed
  their profile (`pin_to_primary`: read-your-writes for REPLICA_PIN_SECONDS). A reader pins
  its queryset to the alias when it makes it (`.using(alias)`), so a queryset evaluated after
  the view returns (a streamed statement) reads where it was sent.
- `read_on_replica(read, for_user=…)`: `read(alias)` there, and once more on the primary if
  the replica fails meanwhile (stopped since it was last checked): no client sees an error
  because of a replica. A reader evaluated later (a stream) asks `replica_failed` itself.

Health is judged per process and per replica: a verdict stands CHECK_EVERY seconds, then the
next read asks the replica how far its replay lags (one cheap query, on that thread's
connection to it); a replica lagging more than REPLICA_MAX_LAG_SECONDS is skipped, one that
cannot be reached is left alone for RETRY_AFTER seconds. Only one thread of a process checks
at a time; the others go by the verdict they have. Checking never raises."""

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connections

from core import metrics
from core.errors import is_database_unreachable

PRIMARY = "default"
REPLICA_PREFIX = "replica_"  # paytm_site/databases.py names replicas so
PIN_KEY_PREFIX = "replica-pin:"
CHECK_EVERY = 2.0  # seconds a verdict on a replica stands
RETRY_AFTER = 5.0  # seconds an unreachable replica is left alone
# 0 when the replica has applied all it received (however long the primary has been quiet),
# else the age of the last transaction it applied; 0 on a server out of recovery (a promoted
# standby is a primary: current by definition); NULL when it cannot tell.
LAG_SQL = (
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0::float8"
    " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0::float8"
    " ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END"
)

logger = logging.getLogger(__name__)
T = TypeVar("T")
clock = time.monotonic  # tests move it


class PrimaryReplicaRouter:
    """Writes and unnamed reads to the primary. An object read from a replica loads its
    relations from there too (the same snapshot), but is always saved to the primary."""

    def db_for_read(self, model, **hints) -> str:
        instance = hints.get("instance")
        return getattr(getattr(instance, "_state", None), "db", None) or PRIMARY

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # every database holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == PRIMARY  # a replica gets its schema by streaming


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


def read_alias(*, for_user=None) -> str:
    """Where a read that may be a moment stale goes: a healthy replica (in turn), else the
    primary. `for_user`: the person whose own data it is, who reads the primary while pinned."""
    aliases = replica_aliases()
    if not aliases:
        return PRIMARY
    if _pinned(getattr(for_user, "pk", None)):
        return PRIMARY  # before any replica's health is asked: the answer is the primary anyway
    healthy = [alias for alias in aliases if health.usable(alias)]
    if not healthy:
        return PRIMARY
    alias = healthy[next(_turns) % len(healthy)]
    metrics.record_replica_read(alias)
    return alias


def read_on_replica(read: Callable[[str], T], *, for_user=None) -> T:
    """`read(alias)` on the database `read_alias` chooses; if that is a replica and it cannot
    serve (stopped, restarted, a query cancelled by replay), the replica is skipped for a
    while and the read runs again on the primary. Any other error is the read's own."""
    alias = read_alias(for_user=for_user)
    if alias == PRIMARY:
        return read(PRIMARY)
    try:
        return read(alias)
    except Exception as error:
        if not replica_failed(alias, error):
            raise
        return read(PRIMARY)


def replica_failed(alias: str, error: BaseException) -> bool:
    """Whether `error`, raised by a read on `alias`, means that replica cannot serve. If so it
    is skipped for a while and the caller reads the primary instead; for any other error, or
    on the primary, the caller raises it."""
    if alias == PRIMARY or not _outage(alias, error):
        return False
    health.mark_unreachable(alias, error)
    return True


def _outage(alias: str, error: BaseException) -> bool:
    """An outage as core.errors tells it, or the driver's own OperationalError or
    InterfaceError, which Django leaves unwrapped where it closes a server-side cursor (a
    streamed statement whose replica was killed ends so)."""
    if is_database_unreachable(error):
        return True
    try:
        driver = connections[alias].Database
    except Exception:
        return False
    return isinstance(error, (driver.OperationalError, driver.InterfaceError))


def pin_to_primary(user_pk) -> None:
    """After a person moved money or changed their profile: their own reads go to the
    primary for REPLICA_PIN_SECONDS (in the shared cache, so every worker knows). Nothing at
    all without replicas. The change is made already: a cache that fails is logged, never raised."""
    seconds = settings.REPLICA_PIN_SECONDS
    if user_pk is None or seconds <= 0 or not replica_aliases():
        return
    try:
        cache.set(pin_key(user_pk), 1, timeout=seconds)
    except Exception:
        logger.warning("could not pin person %s to the primary: the cache failed", user_pk, exc_info=True)


def pin_key(user_pk) -> str:
    return f"{PIN_KEY_PREFIX}{user_pk}"


def _pinned(user_pk) -> bool:
    if user_pk is None:
        return False
    try:
        return cache.get(pin_key(user_pk)) is not None
    except Exception:
        logger.warning("could not read the pin of person %s: the cache failed", user_pk, exc_info=True)
        return True  # cannot tell: the primary is never wrong


_turns = itertools.count()


# -- health ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    usable: bool
    reason: str  # "ok", "lagging 7.2 s (more than 5 s)", "unreachable (OperationalError: …)", …
    next_check: float  # on `clock`


def probe_lag(alias: str) -> float | None:
    """Seconds the replica's data is behind (LAG_SQL), on this thread's connection to it."""
    with connections[alias].cursor() as cursor:
        cursor.execute(LAG_SQL)
        return cursor.fetchone()[0]


class ReplicaHealth:
    """Each replica's latest verdict, in this process."""

    def __init__(self):
        self._verdicts: dict[str, Verdict] = {}
        self._checking = threading.Lock()

    def usable(self, alias: str) -> bool:
        verdict = self._verdicts.get(alias)
        if (verdict is None or clock() >= verdict.next_check) and self._checking.acquire(blocking=False):
            try:
                verdict = self._verdicts.get(alias)
                if verdict is None or clock() >= verdict.next_check:  # not checked meanwhile
                    verdict = self._check(alias)
            finally:
                self._checking.release()
        # Never checked yet and another thread is at it: the primary, this once.
        return verdict is not None and verdict.usable

    def mark_unreachable(self, alias: str, error: BaseException) -> None:
        _close(alias)
        self._record(alias, Verdict(False, _unreachable(error), clock() + RETRY_AFTER))

    def forget(self) -> None:
        self._verdicts.clear()

    def _check(self, alias: str) -> Verdict:
        try:
            lag = probe_lag(alias)
        except Exception as error:  # whatever it is, the read goes to the primary instead
            _close(alias)
            verdict = Verdict(False, _unreachable(error), clock() + RETRY_AFTER)
        else:
            limit = settings.REPLICA_MAX_LAG_SECONDS
            if lag is None:
                verdict = Verdict(False, "replay lag unknown", clock() + CHECK_EVERY)
            elif lag > limit:
                verdict = Verdict(False, f"lagging {lag:.1f} s (more than {limit:g} s)", clock() + CHECK_EVERY)
            else:
                verdict = Verdict(True, "ok", clock() + CHECK_EVERY)
        self._record(alias, verdict)
        return verdict

    def _record(self, alias: str, verdict: Verdict) -> None:
        before = self._verdicts.get(alias)
        self._verdicts[alias] = verdict
        if (before is None and not verdict.usable) or (before is not None and before.usable != verdict.usable):
            if verdict.usable:
                logger.info("replica %s is used again", alias)
            else:
                logger.warning("replica %s is skipped: %s", alias, verdict.reason)


def _unreachable(error: BaseException) -> str:
    detail = " ".join(str(error).split())[:200]  # the driver's words: host and port, never a password
    return f"unreachable ({type(error).__name__}: {detail})"


def _close(alias: str) -> None:
    """Drop this thread's connection to the replica, so the next use connects afresh."""
    with contextlib.suppress(Exception):
        connections[alias].close()


health = ReplicaHealth()
