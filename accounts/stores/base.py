"""What the ledger asks of a database: small primitives, declared once in `LedgerStore`.

Everything that differs per database lives in this package (`sql.py` for SQLite and the
ORM, `postgres.py` for PostgreSQL's plain-SQL hot paths, `mongo.py` for MongoDB), and
nothing outside it asks which database it is on. The ledger algorithm itself (validate,
replay an idempotency key, check and post the movement, remember the outcome) is written
once, above these primitives, in `accounts/ledger.py`.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from accounts.models import Account
from accounts.movements import AccountState, Movement
from users.models import User

T = TypeVar("T")
SHOW_AT_MOST = 20  # breaches listed per invariant in a ledger report


class ConcurrentCommit(Exception):
    """Another unit of work committed a row this one meant to write first (an idempotency
    key, a reversal's link). The retry policy runs the unit of work again, and its checks
    then see that row: it replays, or refuses, instead of writing twice."""


class UniqueViolation(Exception):
    """An insert clashed with a unique index; `fields` names the model fields involved
    (empty when the database did not say)."""

    def __init__(self, fields: frozenset[str], cause: BaseException | None = None):
        self.fields = fields
        super().__init__(f"unique violation on {', '.join(sorted(fields)) or 'an unknown index'}")
        self.__cause__ = cause


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


@dataclass(frozen=True)
class Health:
    status: int  # HTTP status: 200 up, 503 down or unable to move money
    body: dict


class OrmHotReads:
    """The hot reads through the ORM, for stores that have no faster way (SQLite, MongoDB),
    and no search indexes of their own."""

    def create_search_indexes(self, schema_editor) -> None:
        pass

    def drop_search_indexes(self, schema_editor) -> None:
        pass

    def wallet_id(self, *, public_id):
        return (
            Account.objects.filter(kind=Account.Kind.USER, user__is_active=True, user__public_id=public_id)
            .values_list("pk", flat=True)
            .first()
        )

    def balance(self, *, user_pk) -> int:
        return Account.objects.filter(user_id=user_pk).values_list("balance", flat=True).first() or 0

    def person_for_token(self, *, public_id):
        return User.objects.filter(public_id=public_id).first()


class LedgerStore(Protocol):
    # -- units of work ----------------------------------------------------------------
    def run(self, work: Callable[["LedgerStore"], T]) -> T:
        """`work(store)` in one transaction of this database, retried by the one retry
        policy (accounts/stores/retry.py) on what this database reports as transient and
        on `ConcurrentCommit`. Inside, `store` is bound to that transaction."""

    # -- inside a unit of work --------------------------------------------------------
    def lock_accounts(self, *pks) -> dict[object, AccountState]:
        """Read these accounts so that no other unit of work can change them before this
        one ends: row locks in primary-key order (SQL), or a snapshot whose writes fail
        with a write conflict if another transaction got there first (MongoDB)."""

    def system_account(self, kind: str) -> object:
        """The primary key of the system account of this kind, created if missing."""

    def write_movement(self, movement: Movement, *, sender_after: int, recipient_after: int) -> PostedTransfer:
        """Set both balances and write the transfer with its two ledger entries. Raises
        UniqueViolation if the transfer's link (`reverses`) is already taken."""

    def find_idempotency(self, *, user_pk, key: str) -> Remembered | None: ...

    def lock_row(self, model, pk):
        """The model instance with this primary key, read as `lock_accounts` reads, or None."""

    def exists(self, model, **equals) -> bool:
        """Whether a row of `model` has these field values (plain equality only)."""

    def insert(self, instance) -> None:
        """Insert an unsaved model instance. Raises UniqueViolation on a unique clash."""

    def update_fields(self, instance, fields: list[str]) -> None:
        """Write these fields of a row read in this unit of work."""

    # -- hot reads (every request asks one; outside units of work) -----------------------
    def wallet_id(self, *, public_id) -> object | None:
        """The wallet primary key of the active person with this public id."""

    def balance(self, *, user_pk) -> int:
        """The person's balance in paise; 0 for someone without a wallet (operators)."""

    def person_for_token(self, *, public_id):
        """The person an access token names (with their wallet's id where that is cheap)."""

    # -- signing out -------------------------------------------------------------------------
    def revoke_refresh_token(self, token) -> None:
        """This verified SimpleJWT refresh token can no longer refresh (again: no error)."""

    def refresh_token_revoked(self, token) -> bool: ...

    # -- checks, seeding, health --------------------------------------------------------
    def verify_ledger(self) -> LedgerReport: ...

    def open_accounts_bulk(self, *, users: list, grants: list[int]) -> None:
        """Many sign-ups in one transaction (seeding and benchmarks): the same rows that
        sign-up writes, batched: wallets, grants from the issuance account, entries."""

    def health(self) -> Health: ...

    def on_connect(self) -> None:
        """Called at each new connection to this database: a chance to warn about setup."""

    # -- schema (run by migrations) ------------------------------------------------------
    def create_search_indexes(self, schema_editor) -> None:
        """Indexes that serve case-insensitive substring search of names, if this database
        has such a kind of index (users/migrations/0002)."""

    def drop_search_indexes(self, schema_editor) -> None: ...
