"""Moving money on SQLite and PostgreSQL: one `transaction.atomic` per operation.

Concurrency:
- PostgreSQL: both account rows are locked with SELECT ... FOR UPDATE in primary-key
  order, so A->B racing B->A queue up instead of deadlocking; the balance check happens
  under the lock, so a sender can never be drained twice.
- SQLite: transactions are IMMEDIATE (see paytm_site/database.py), so writers queue on
  the database lock before reading any balance.
Serialization failures, deadlocks, "database is locked" and a lost race to claim an
idempotency key restart the whole operation, a bounded number of times.
"""

import logging
import random
import time
from typing import Callable, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction

from accounts.exceptions import InsufficientBalance, InvalidAccount
from accounts.models import Account, IdempotencyRecord, LedgerEntry, Transfer
from accounts.stores.base import (
    OUTCOME_INSUFFICIENT_BALANCE,
    IdempotencyKeyTaken,
    Movement,
    TransferReceipt,
    TransferRequest,
    replay_outcome,
)
from paytm_site.errors import ServiceBusy

logger = logging.getLogger(__name__)
T = TypeVar("T")

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
MAX_ATTEMPTS = 8


def _is_transient(error: OperationalError) -> bool:
    if getattr(error.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return connection.vendor == "sqlite" and "database is locked" in str(error)


def run_with_retry(operation: Callable[[], T]) -> T:
    """Run `operation` in its own transaction, restarting it on transient conflicts."""
    if connection.in_atomic_block:
        # Inside someone else's transaction we cannot retry, but a savepoint still makes
        # this operation all-or-nothing.
        with transaction.atomic():
            return operation()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return operation()
        except IdempotencyKeyTaken:
            pass
        except OperationalError as error:
            if not _is_transient(error):
                raise
            logger.info("transient conflict on attempt %d: %s", attempt, error)
        time.sleep(random.uniform(0, 0.005 * 2**attempt))
    raise ServiceBusy()


def issuance_account() -> Account:
    account, _ = Account.objects.get_or_create(kind=Account.Kind.ISSUANCE, defaults={"balance": 0})
    return account


class SqlLedgerStore:
    def post_movement(self, movement: Movement) -> tuple[Transfer, int]:
        """Write one movement inside the current transaction; return it and the sender's new balance."""
        pks = sorted({movement.sender_account_pk, movement.recipient_account_pk})
        locked = {
            account.pk: account
            for account in Account.objects.select_for_update().filter(pk__in=pks).order_by("pk").only("kind", "balance")
        }
        sender = locked.get(movement.sender_account_pk)
        recipient = locked.get(movement.recipient_account_pk)
        if sender is None or recipient is None or sender.pk == recipient.pk:
            raise InvalidAccount()
        if sender.kind == Account.Kind.USER and sender.balance < movement.amount:
            raise InsufficientBalance()

        sender_after = sender.balance - movement.amount
        recipient_after = recipient.balance + movement.amount
        # Rows are locked, so the values just read are current; writing them directly keeps
        # the projection and the entries' balance_after equal by construction.
        Account.objects.filter(pk=sender.pk).update(balance=sender_after)
        Account.objects.filter(pk=recipient.pk).update(balance=recipient_after)
        transfer = Transfer.objects.create(
            kind=movement.kind, sender_id=sender.pk, recipient_id=recipient.pk, amount=movement.amount
        )
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(
                    transfer=transfer,
                    account_id=sender.pk,
                    amount=-movement.amount,
                    balance_after=sender_after,
                    created_at=transfer.created_at,
                ),
                LedgerEntry(
                    transfer=transfer,
                    account_id=recipient.pk,
                    amount=movement.amount,
                    balance_after=recipient_after,
                    created_at=transfer.created_at,
                ),
            ]
        )
        return transfer, sender_after

    def transfer(self, request: TransferRequest) -> TransferReceipt:
        receipt_or_error = run_with_retry(lambda: self._transfer_once(request))
        if isinstance(receipt_or_error, Exception):
            raise receipt_or_error  # a remembered failure, committed with its record
        return receipt_or_error

    def signup(self, *, user, grant: int):
        def once():
            user.save(force_insert=True)
            account = Account.objects.create(user=user, kind=Account.Kind.USER)
            self.post_movement(Movement(Transfer.Kind.GRANT, issuance_account().pk, account.pk, grant))
            return user

        return run_with_retry(once)

    def open_accounts_bulk(self, *, users: list, grants: list[int]) -> None:
        """Many sign-ups in one transaction (seeding and benchmarks): the same rows as
        `signup` would write, batched. Every grant is a transfer from the issuance account
        with its two entries and running balances."""
        with transaction.atomic():
            type(users[0]).objects.bulk_create(users, batch_size=2000)
            accounts = Account.objects.bulk_create(
                [Account(user=user, kind=Account.Kind.USER, balance=grant) for user, grant in zip(users, grants)],
                batch_size=2000,
            )
            issuance = Account.objects.select_for_update().get(pk=issuance_account().pk)
            transfers = Transfer.objects.bulk_create(
                [
                    Transfer(kind=Transfer.Kind.GRANT, sender_id=issuance.pk, recipient_id=account.pk, amount=grant)
                    for account, grant in zip(accounts, grants)
                ],
                batch_size=2000,
            )
            running, entries = issuance.balance, []
            for transfer, account, grant in zip(transfers, accounts, grants):
                running -= grant
                entries.append(
                    LedgerEntry(transfer=transfer, account_id=issuance.pk, amount=-grant, balance_after=running)
                )
                entries.append(LedgerEntry(transfer=transfer, account_id=account.pk, amount=grant, balance_after=grant))
            LedgerEntry.objects.bulk_create(entries, batch_size=4000)
            Account.objects.filter(pk=issuance.pk).update(balance=running)

    def _transfer_once(self, request: TransferRequest):
        idempotency = request.idempotency
        if idempotency is not None:
            record = (
                IdempotencyRecord.objects.filter(user_id=idempotency.user_pk, key=idempotency.key)
                .select_related("transfer")
                .first()
            )
            if record is not None:
                return self._replay(record, idempotency)

        try:
            transfer, sender_after = self.post_movement(request.movement)
        except InsufficientBalance as error:
            if idempotency is None:
                raise
            self._remember(idempotency, error_code=OUTCOME_INSUFFICIENT_BALANCE)
            return error  # nothing was written but the record: commit it, then raise
        if idempotency is not None:
            self._remember(idempotency, transfer=transfer)
        return TransferReceipt(transfer_id=str(transfer.public_id), sender_balance=sender_after)

    @staticmethod
    def _remember(idempotency, *, transfer=None, error_code=""):
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    user_id=idempotency.user_pk,
                    key=idempotency.key,
                    request_fingerprint=idempotency.fingerprint,
                    transfer=transfer,
                    error_code=error_code,
                )
        except IntegrityError:
            raise IdempotencyKeyTaken() from None

    @staticmethod
    def _replay(record: IdempotencyRecord, idempotency) -> TransferReceipt:
        try:
            replay_outcome(
                stored_fingerprint=record.request_fingerprint, request=idempotency, error_code=record.error_code
            )
        except InsufficientBalance as error:
            return error
        sender_entry = LedgerEntry.objects.get(transfer_id=record.transfer_id, amount__lt=0)
        return TransferReceipt(
            transfer_id=str(record.transfer.public_id), sender_balance=sender_entry.balance_after, replayed=True
        )
