"""The ledger store on SQL databases through the ORM (SQLite, and the base of PostgreSQL's).

A unit of work is one `transaction.atomic`. Concurrency: accounts are locked with SELECT ...
FOR UPDATE in primary-key order, so A->B racing B->A queue up instead of deadlocking and a
balance is checked under the lock. SQLite has no row locks, but its transactions are
IMMEDIATE (paytm_site/databases.py): writers queue on the database lock before reading
anything, so the same reasoning holds. "database is locked" (a writer waited longer than the
timeout) and ConcurrentCommit restart the unit of work under the one retry policy.
"""

import re

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import OuterRef, Subquery

from accounts.models import Account, IdempotencyRecord, LedgerEntry
from accounts.movements import AccountState
from accounts.postings import Posting
from accounts.stores.base import LedgerReport, OrmHotReads, PostedTransfer, Remembered
from accounts.stores.errors import ConcurrentCommit, UniqueViolation
from accounts.stores.retry import UNIT_OF_WORK_RETRIES
from accounts.stores.sql_checks import sql_ledger_verify
from core.health import OK, Health

BULK_BATCH = 2000
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")


class SqlLedgerStore(OrmHotReads):
    retries = UNIT_OF_WORK_RETRIES

    # -- units of work ----------------------------------------------------------------

    def run(self, work):
        return self.retries.run(lambda: self._once(work), retryable=self.is_transient)

    def _once(self, work):
        # Durable: inside another transaction this raises instead of quietly becoming a
        # savepoint that could not be retried on its own (a test's own transaction is the
        # one exception Django makes, so units of work still run inside tests).
        with transaction.atomic(durable=True):
            return work(self)

    def is_transient(self, error: BaseException) -> bool:
        if isinstance(error, ConcurrentCommit):
            return True
        return isinstance(error, OperationalError) and "database is locked" in str(error)

    # -- inside a unit of work --------------------------------------------------------

    def after_commit(self, callback) -> None:
        transaction.on_commit(callback)

    def lock_accounts(self, *pks) -> dict:
        rows = (
            Account.objects.select_for_update()
            .filter(pk__in=sorted(set(pks)))
            .order_by("pk")
            .values_list("pk", "kind", "balance", "frozen")
        )
        return {
            pk: AccountState(pk=pk, kind=kind, balance=balance, frozen=frozen) for pk, kind, balance, frozen in rows
        }

    def system_account(self, kind: str):
        pk = Account.objects.filter(kind=kind).values_list("pk", flat=True).first()
        if pk is not None:
            return pk
        account = Account(kind=kind)
        try:
            self.insert(account)
        except UniqueViolation:
            raise ConcurrentCommit() from None  # another unit of work created it: run again
        return account.pk

    def write_posting(self, posting: Posting) -> PostedTransfer:
        # The rows are locked, so the balances read are current; writing the new values
        # keeps the projection and the entries' balance_after equal by construction.
        for change in (posting.sender, posting.recipient):
            self.set_balance(change.account, before=change.before, after=change.after)
        transfer = posting.transfer
        self.insert(transfer)
        LedgerEntry.objects.bulk_create(posting.entries)
        return PostedTransfer(pk=transfer.pk, public_id=str(transfer.public_id), created_at=transfer.created_at)

    def post_at_once(self, movement) -> None:
        return None  # the ORM has no one-statement posting: every movement takes the long way

    def set_balance(self, pk, *, before: int, after: int) -> None:
        Account.objects.filter(pk=pk).update(balance=after)

    def find_idempotency(self, *, user_pk, key: str) -> Remembered | None:
        sender_entry = LedgerEntry.objects.filter(transfer_id=OuterRef("transfer_id"), amount__lt=0)
        row = (
            IdempotencyRecord.objects.filter(user_id=user_pk, key=key)
            .annotate(sender_balance=Subquery(sender_entry.values("balance_after")[:1]))
            .values_list(
                "request_fingerprint",
                "error_code",
                "transfer_id",
                "transfer__public_id",
                "transfer__created_at",
                "sender_balance",
                "created_at",
            )
            .first()
        )
        if row is None:
            return None
        fingerprint, error_code, transfer_pk, public_id, transferred_at, sender_balance, first_used = row
        transfer = None
        if transfer_pk is not None:
            transfer = PostedTransfer(pk=transfer_pk, public_id=str(public_id), created_at=transferred_at)
        return Remembered(
            fingerprint=fingerprint,
            error_code=error_code,
            transfer=transfer,
            sender_balance=sender_balance,
            created_at=first_used,
        )

    def forget_idempotency(self, *, user_pk, key: str) -> None:
        IdempotencyRecord.objects.filter(user_id=user_pk, key=key).delete()

    def lock_row(self, model, pk):
        return model.objects.select_for_update().filter(pk=pk).first()

    def exists(self, model, **equals) -> bool:
        return model.objects.filter(**equals).exists()

    def insert(self, instance) -> None:
        """Raising out of the unit of work rolls it back, so no savepoint is needed here."""
        afresh(instance)
        try:
            instance.save(force_insert=True)
        except IntegrityError as error:
            columns = self.unique_columns(error)
            if columns is None:
                raise
            raise UniqueViolation(field_names(type(instance), columns), error) from None

    def insert_many(self, instances) -> None:
        for instance in instances:
            afresh(instance)
        if instances:
            type(instances[0]).objects.bulk_create(instances, batch_size=BULK_BATCH)

    def update_fields(self, instance, fields: list[str]) -> None:
        instance.save(update_fields=fields)

    def unique_columns(self, error: IntegrityError) -> list[str] | None:
        """The columns of the unique index `error` reports, or None if it is not a unique clash."""
        match = _SQLITE_UNIQUE.search(str(error))
        if match is None:
            return None
        return [name.strip().rsplit(".", 1)[-1] for name in match.group(1).split(",")]

    # -- checks -----------------------------------------------------------------------------

    def verify_ledger(self) -> LedgerReport:
        return sql_ledger_verify()


class SqlDatabaseHealth:
    def health(self) -> Health:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Health(OK, {"status": "up", "vendor": connection.vendor})

    def on_connect(self) -> None:
        pass


def afresh(instance) -> None:
    """Make `instance` a new row again: an attempt that was rolled back may have left it the
    key the database gave it then (only keys the database assigns are reset)."""
    if instance._meta.pk.db_returning:
        instance.pk = None
    instance._state.adding = True


def field_names(model, columns: list[str]) -> frozenset[str]:
    by_column = {field.column: field.name for field in model._meta.concrete_fields}
    return frozenset(by_column.get(column, column) for column in columns)
