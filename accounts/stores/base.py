"""What the transfer service asks of a storage backend: whole operations, each atomic.

A store performs one operation inside one database transaction of its backend (SQL
transaction, MongoDB session transaction) and retries it when the backend reports a
transient conflict. The service above decides *what* moves; the store decides *how* it
is made atomic on its database.
"""

import hashlib
from dataclasses import dataclass
from typing import Protocol

from accounts.exceptions import IdempotencyConflict, InsufficientBalance

# What an idempotency record remembers besides a successful transfer.
OUTCOME_INSUFFICIENT_BALANCE = "insufficient_balance"
REMEMBERED_ERRORS = {OUTCOME_INSUFFICIENT_BALANCE: InsufficientBalance}


class IdempotencyKeyTaken(Exception):
    """Another request with the same key committed first: a store runs the operation again,
    and the second run replays that request's outcome instead of moving money."""


@dataclass(frozen=True)
class Movement:
    """Move `amount` paise between two accounts (by primary key)."""

    kind: str
    sender_account_pk: object
    recipient_account_pk: object
    amount: int


@dataclass(frozen=True)
class IdempotencyRequest:
    user_pk: object
    key: str
    fingerprint: str


@dataclass(frozen=True)
class TransferRequest:
    movement: Movement
    idempotency: IdempotencyRequest | None = None


@dataclass(frozen=True)
class TransferReceipt:
    transfer_id: str
    sender_balance: int  # paise, right after this transfer
    replayed: bool = False


def request_fingerprint(*, recipient_id: str, amount: int) -> str:
    """Two requests are "the same" when they name the same recipient and amount in paise
    (so 10, 10.0 and "10.00" are one request)."""
    return hashlib.sha256(f"{recipient_id}|{amount}".encode()).hexdigest()


def replay_outcome(*, stored_fingerprint: str, request: IdempotencyRequest, error_code: str):
    """Refuse a reused key with a different body; re-raise a remembered failure."""
    if stored_fingerprint != request.fingerprint:
        raise IdempotencyConflict()
    if error_code:
        raise REMEMBERED_ERRORS[error_code]()


class LedgerStore(Protocol):
    def transfer(self, request: TransferRequest) -> TransferReceipt: ...

    def signup(self, *, user, grant: int) -> object:
        """Save the unsaved `user` (password already hashed), open their wallet and post the
        starting grant from the issuance account, all in one transaction."""
