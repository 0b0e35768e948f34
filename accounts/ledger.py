"""The one ledger algorithm. Every money movement (a person's transfer, sign-up's starting
grant, a paid request, an operator's reversal or adjustment) goes through `post`:

1. validate the movement (amount, note);
   (with nothing to replay or claim, a store may do steps 4-5 in one statement: post_at_once)
2. replay: an idempotency key seen before (within IDEMPOTENCY_KEY_HOURS) returns its first
   outcome, or 422 for another body; an older key is forgotten and the request is new;
3. claim the movement's source, if it has one (the request being paid, the proposal being
   approved, the transfer being reversed): locked, and checked to be still open;
4. lock both accounts and check the kind's rules (accounts/movements.py) against what is
   read under the lock: wallets, frozen state, the sender's balance;
5. write both balances, the transfer and its two entries (accounts/postings.py), and
   settle the source;
6. remember the outcome under the idempotency key.
All of it is one unit of work of the configured store (accounts/stores/), run and retried
by that store under the one retry policy. Outcomes are values: `Posted` or `Refused`; the
caller raises a refusal's error once the unit of work has committed.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.utils import timezone

from accounts.exceptions import REFUSALS, IdempotencyConflict, InvalidAmount, WalletError
from accounts.models import NOTE_MAX_LENGTH, IdempotencyRecord
from accounts.money import is_valid_paise
from accounts.movements import Movement, check
from accounts.postings import posting_of
from accounts.stores import ledger_store
from accounts.stores.base import IdempotencyRequest, LedgerStore, PostedTransfer, Remembered
from accounts.stores.errors import ConcurrentCommit, UniqueViolation
from core import metrics


@dataclass(frozen=True)
class Posted:
    transfer: PostedTransfer
    sender_balance: int  # paise, right after this transfer
    replayed: bool = False


@dataclass(frozen=True)
class Refused:
    code: str  # the default_code of one of accounts.exceptions.REFUSALS

    def error(self) -> WalletError:
        return REFUSALS[self.code]()


Outcome = Posted | Refused


class Source(Protocol):
    """A row that gates a movement. `claim` runs before the accounts are locked, inside the
    unit of work: it locks the row and refuses if it is no longer open. `settle` records the
    posted transfer on it, in the same unit of work."""

    def claim(self, store: LedgerStore) -> Refused | None: ...

    def settle(self, store: LedgerStore, transfer: PostedTransfer) -> None: ...


def validate(movement: Movement) -> None:
    if not is_valid_paise(movement.amount):
        raise InvalidAmount()
    if len(movement.note) > NOTE_MAX_LENGTH:
        raise ValueError(f"a note is at most {NOTE_MAX_LENGTH} characters")


def post(
    movement: Movement,
    *,
    idempotency: IdempotencyRequest | None = None,
    source: Source | None = None,
    store: LedgerStore | None = None,
) -> Outcome:
    """Post `movement` in a unit of work of its own. With nothing to replay or claim, a store
    that can check and write it in one statement does (the common payment: one round trip on
    PostgreSQL); what that refuses takes the long way, which says why."""
    store = store or ledger_store()
    if idempotency is None and source is None:
        validate(movement)
        at_once = store.post_at_once(movement)
        if at_once is not None:
            transfer, sender_after = at_once
            metrics.record_movement(movement.kind, metrics.POSTED, movement.amount)  # committed already
            return Posted(transfer=transfer, sender_balance=sender_after)
    return store.run(lambda unit: post_in(unit, movement, idempotency=idempotency, source=source))


def post_in(
    unit: LedgerStore,
    movement: Movement,
    *,
    idempotency: IdempotencyRequest | None = None,
    source: Source | None = None,
) -> Outcome:
    """Post `movement` inside a unit of work that is already running (sign-up posts its
    grant in the unit of work that creates the person)."""
    validate(movement)
    if idempotency is not None:
        remembered = unit.find_idempotency(user_pk=idempotency.user_pk, key=idempotency.key)
        if remembered is not None and is_expired(remembered):
            unit.forget_idempotency(user_pk=idempotency.user_pk, key=idempotency.key)  # a new request now
        elif remembered is not None:
            return _counted(unit, movement, replay(remembered, idempotency))
    outcome = _check_and_write(unit, movement, source)
    if idempotency is not None:
        _remember(unit, idempotency, outcome)
    return _counted(unit, movement, outcome)


def _counted(unit: LedgerStore, movement: Movement, outcome: Outcome) -> Outcome:
    """Count the outcome once its unit of work commits (wallet_money_movements_total): an
    attempt that is rolled back and retried counts nothing."""
    if isinstance(outcome, Refused):
        name = metrics.REFUSED
    else:
        name = metrics.REPLAYED if outcome.replayed else metrics.POSTED
    unit.after_commit(lambda: metrics.record_movement(movement.kind, name, movement.amount))
    return outcome


def idempotency_cutoff(now=None):
    """Keys remembered before this are honoured no longer: IDEMPOTENCY_KEY_HOURS (Stripe's 24 hours)."""
    return (now or timezone.now()) - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def is_expired(remembered: Remembered) -> bool:
    return remembered.created_at < idempotency_cutoff()


def replay(remembered: Remembered, idempotency: IdempotencyRequest) -> Outcome:
    if remembered.fingerprint != idempotency.fingerprint:
        raise IdempotencyConflict()
    if remembered.error_code:
        return Refused(remembered.error_code)
    return Posted(transfer=remembered.transfer, sender_balance=remembered.sender_balance, replayed=True)


def _remember(unit: LedgerStore, idempotency: IdempotencyRequest, outcome: Outcome) -> None:
    posted = isinstance(outcome, Posted)
    record = IdempotencyRecord(
        user_id=idempotency.user_pk,
        key=idempotency.key,
        request_fingerprint=idempotency.fingerprint,
        transfer_id=outcome.transfer.pk if posted else None,
        error_code="" if posted else outcome.code,
    )
    try:
        unit.insert(record)
    except UniqueViolation:
        raise ConcurrentCommit() from None  # the same key committed first: run again, and replay it


def _check_and_write(unit: LedgerStore, movement: Movement, source: Source | None) -> Outcome:
    if source is not None:
        refused = source.claim(unit)
        if refused is not None:
            return refused
    accounts = unit.lock_accounts(movement.sender, movement.recipient)
    sender, recipient = accounts.get(movement.sender), accounts.get(movement.recipient)
    error = check(movement, sender, recipient)
    if error is not None:
        return Refused(error.default_code)
    posting = posting_of(movement, sender=sender, recipient=recipient)
    try:
        transfer = unit.write_posting(posting)
    except UniqueViolation as violation:
        if "reverses" in violation.fields:
            raise ConcurrentCommit() from violation  # another reversal won: run again, and refuse
        raise
    if source is not None:
        source.settle(unit, transfer)
    return Posted(transfer=transfer, sender_balance=posting.sender.after)


def raise_if_refused(outcome: Outcome) -> Posted:
    if isinstance(outcome, Refused):
        raise outcome.error()
    return outcome
