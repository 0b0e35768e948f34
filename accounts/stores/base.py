"""What the ledger asks of a database, declared once per concern:

- `LedgerStore`: small primitives the ledger algorithm (accounts/ledger.py) runs on: units
  of work, locking accounts, writing the rows a movement or a batch of sign-ups is made of
  (built in accounts/postings.py), idempotency records, and the hot reads of every request;
- `DatabaseHealth`: whether the database can serve the wallet, and what to say at connection.

Everything that differs per database lives in this package (`sql.py` for SQLite and the
ORM, `postgres.py` for PostgreSQL's plain-SQL hot paths, `mongo.py` for MongoDB). People's
own concerns (the person a token names, revoked tokens) are the `users` app's store
(users/stores/). Stores speak in their own terms (accounts/stores/errors.py), never HTTP.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from accounts.models import Account
from accounts.movements import AccountState, Movement
from accounts.postings import Posting
from core.health import Health

T = TypeVar("T")
SHOW_AT_MOST = 20  # breaches listed per invariant in a ledger report


@dataclass(frozen=True)
class PostedTransfer:
    pk: object
    public_id: str
    created_at: datetime


@dataclass(frozen=True)
class Remembered:
    """An idempotency record as found: the request it answered and its outcome."""

    fingerprint: str
    error_code: str
    transfer: PostedTransfer | None
    sender_balance: int | None  # the sender's balance right after that transfer
    created_at: datetime  # when the key was first used


@dataclass(frozen=True)
class IdempotencyRequest:
    user_pk: object
    key: str
    fingerprint: str

    @classmethod
    def of(cls, *, user_pk, key: str, request: tuple) -> "IdempotencyRequest":
        """Two requests are "the same" when `request` (what they ask, normalised: a recipient
        and an amount in paise, so 10, 10.0 and "10.00" are one request) is the same."""
        fingerprint = hashlib.sha256("|".join(str(part) for part in request).encode()).hexdigest()
        return cls(user_pk=user_pk, key=key, fingerprint=fingerprint)


@dataclass
class LedgerReport:
    accounts: int = 0
    transfers: int = 0
    entries: int = 0
    total_balance: int = 0
    breaches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches

    def breach(self, title: str, rows) -> None:
        rows = list(rows[: SHOW_AT_MOST + 1]) if not isinstance(rows, list) else rows
        if rows:
            shown = ", ".join(str(row) for row in rows[:SHOW_AT_MOST])
            more = " ..." if len(rows) > SHOW_AT_MOST else ""
            self.breaches.append(f"{title}: {shown}{more}")


class OrmHotReads:
    """The hot reads through the ORM, for stores that have no faster way (SQLite, MongoDB)."""

    def wallet_id(self, *, public_id):
        return (
            Account.objects.filter(kind=Account.Kind.USER, user__is_active=True, user__public_id=public_id)
            .values_list("pk", flat=True)
            .first()
        )

    def balance(self, *, user_pk) -> int:
        return Account.objects.filter(user_id=user_pk).values_list("balance", flat=True).first() or 0


class LedgerStore(Protocol):
    # -- units of work ----------------------------------------------------------------
    def run(self, work: Callable[["LedgerStore"], T]) -> T:
        """`work(store)` in one transaction of this database, retried by the one retry
        policy (accounts/stores/retry.py) on what this database reports as transient and
        on `ConcurrentCommit`. Inside, `store` is bound to that transaction. Called inside
        a transaction that is already open, it raises RuntimeError: a unit of work nested
        in another could not be retried on its own."""

    # -- inside a unit of work --------------------------------------------------------
    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` once this unit of work has committed; never if it rolls back (an
        attempt that is retried, or fails). For what must count only what happened: metrics."""

    def lock_accounts(self, *pks) -> dict[object, AccountState]:
        """Read these accounts so that no other unit of work can change them before this
        one ends: row locks in primary-key order (SQL), or a snapshot whose writes fail
        with a write conflict if another transaction got there first (MongoDB)."""

    def system_account(self, kind: str) -> object:
        """The primary key of the system account of this kind, created if missing."""

    def write_posting(self, posting: Posting) -> PostedTransfer:
        """Set both balances and insert the transfer and its two entries. Raises
        UniqueViolation if the transfer's link (`reverses`) is already taken."""

    def post_at_once(self, movement: Movement) -> tuple[PostedTransfer, int] | None:
        """Where the database can (PostgreSQL), the whole of a movement that needs no unit of
        work of its own (no idempotency key, no source): lock both accounts, apply the kind's
        rules (accounts/movements.py RULES) and write the posting in one statement, returning
        the transfer and the sender's balance after it; None when the rules refuse it or the
        store cannot, and the ledger takes its long way. Outside any transaction only."""

    def set_balance(self, pk, *, before: int, after: int) -> None:
        """Set the balance of an account read by `lock_accounts` in this unit of work."""

    def find_idempotency(self, *, user_pk, key: str) -> Remembered | None: ...

    def forget_idempotency(self, *, user_pk, key: str) -> None:
        """Delete this key's record (an expired one, which a new request with the key replaces)."""

    def lock_row(self, model, pk):
        """The model instance with this primary key, read as `lock_accounts` reads, or None."""

    def exists(self, model, **equals) -> bool:
        """Whether a row of `model` has these field values (plain equality only)."""

    def insert(self, instance) -> None:
        """Insert a model instance as a new row. An instance left with a key by an attempt
        that was rolled back is inserted afresh. Raises UniqueViolation on a unique clash."""

    def insert_many(self, instances: Sequence) -> None:
        """Insert instances of one model as new rows, in batches (seeding many sign-ups)."""

    def update_fields(self, instance, fields: list[str]) -> None:
        """Write these fields of a row read in this unit of work."""

    # -- hot reads (every request asks one; outside units of work) -----------------------
    def wallet_id(self, *, public_id) -> object | None:
        """The wallet primary key of the active person with this public id."""

    def balance(self, *, user_pk) -> int:
        """The person's balance in paise; 0 for someone without a wallet (operators)."""

    # -- checks -----------------------------------------------------------------------------
    def verify_ledger(self) -> LedgerReport: ...


class DatabaseHealth(Protocol):
    def health(self) -> Health:
        """Whether this database can serve the wallet: reachable, and able to run the
        transactions every movement needs."""

    def on_connect(self) -> None:
        """Called at each new connection to this database: a chance to warn about setup."""
