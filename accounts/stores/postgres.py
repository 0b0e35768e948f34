"""PostgreSQL: the SQL store with its hot paths in plain SQL (docs/PERFORMANCE.md).

Compiling an ORM query costs more CPU than PostgreSQL spends running these, so the primitives
every transfer and balance read uses are single prepared statements:
- lock both accounts in id order and read them (one statement);
- update both balances and insert the transfer and its two entries (one statement of
  data-modifying CTEs, which PostgreSQL always runs to completion);
- the person for a token, with their wallet's id; a wallet id by public id; a balance.
Serialization failures and deadlocks (SQLSTATE 40001, 40P01) restart the unit of work.
"""

import logging
import re
import uuid

from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from accounts.models import Account, LedgerEntry, Transfer
from accounts.movements import AccountState, Movement
from accounts.stores.base import PostedTransfer, UniqueViolation
from accounts.stores.sql import SqlLedgerStore, field_names
from users.models import User

logger = logging.getLogger(__name__)
ACCOUNTS, TRANSFERS, ENTRIES = Account._meta.db_table, Transfer._meta.db_table, LedgerEntry._meta.db_table
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
UNIQUE_VIOLATION = "23505"
_KEY_COLUMNS = re.compile(r"^Key \((.+?)\)=")

LOCK_SQL = (
    f"SELECT id, kind, balance, frozen FROM {ACCOUNTS} WHERE id IN (%(sender)s, %(recipient)s) ORDER BY id FOR UPDATE"
)
WRITE_SQL = f"""
WITH moved AS (
    UPDATE {ACCOUNTS} SET balance = CASE WHEN id = %(sender)s THEN %(sender_after)s ELSE %(recipient_after)s END
    WHERE id IN (%(sender)s, %(recipient)s)
    RETURNING id
),
transfer AS (
    INSERT INTO {TRANSFERS} (public_id, kind, sender_id, recipient_id, amount, note, reverses_id, created_at)
    VALUES (%(public_id)s, %(kind)s, %(sender)s, %(recipient)s, %(amount)s, %(note)s, %(reverses)s, %(now)s)
    RETURNING id
)
INSERT INTO {ENTRIES} (transfer_id, account_id, amount, balance_after, created_at)
SELECT transfer.id, entry.account_id, entry.amount, entry.balance_after, %(now)s
FROM transfer, (VALUES (%(sender)s::bigint, -%(amount)s::bigint, %(sender_after)s::bigint),
                       (%(recipient)s::bigint, %(amount)s::bigint, %(recipient_after)s::bigint))
     AS entry (account_id, amount, balance_after)
RETURNING transfer_id, (SELECT count(*) FROM moved)
"""
BALANCE_SQL = f"SELECT balance FROM {ACCOUNTS} WHERE user_id = %s"
WALLET_ID_SQL = (
    f"SELECT a.id FROM {ACCOUNTS} a JOIN {User._meta.db_table} u ON u.id = a.user_id "
    f"WHERE u.public_id = %s AND u.is_active AND a.kind = %s"
)
# The person with the identity of their wallet (its id, never its balance, which is always
# read when asked for). Model.from_db takes values in the model's field order.
USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
WALLET_FIELDS = [field.attname for field in Account._meta.concrete_fields if field.attname in {"id", "kind", "user_id"}]
PERSON_SQL = (
    f"SELECT {', '.join(f'u.{field.column}' for field in User._meta.concrete_fields)}, "
    f"{', '.join(f'a.{Account._meta.get_field(name).column}' for name in WALLET_FIELDS)} "
    f"FROM {User._meta.db_table} u LEFT JOIN {ACCOUNTS} a ON a.user_id = u.id WHERE u.public_id = %s"
)
# Trigram indexes: `icontains` runs as UPPER(name) LIKE UPPER('%term%'), which these serve.
SEARCH_INDEXES_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS user_first_name_trgm_idx ON users_user USING gin (UPPER(first_name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS user_last_name_trgm_idx ON users_user USING gin (UPPER(last_name) gin_trgm_ops)",
]
SEARCH_INDEXES_DROP = ["DROP INDEX IF EXISTS user_first_name_trgm_idx", "DROP INDEX IF EXISTS user_last_name_trgm_idx"]


def fetch_one(sql: str, params) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


class PostgresLedgerStore(SqlLedgerStore):
    def is_transient(self, error: BaseException) -> bool:
        if isinstance(error, OperationalError) and getattr(error.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES:
            return True
        return super().is_transient(error)

    def unique_columns(self, error: IntegrityError) -> list[str] | None:
        cause = error.__cause__
        if getattr(cause, "sqlstate", None) != UNIQUE_VIOLATION:
            return None
        match = _KEY_COLUMNS.match(getattr(cause.diag, "message_detail", None) or "")
        return [column.strip() for column in match.group(1).split(",")] if match else []

    def lock_accounts(self, *pks) -> dict:
        sender, recipient = (pks * 2)[:2]  # one account locks as a pair with itself
        with connection.cursor() as cursor:
            cursor.execute(LOCK_SQL, {"sender": sender, "recipient": recipient})
            rows = cursor.fetchall()
        return {
            pk: AccountState(pk=pk, kind=kind, balance=balance, frozen=frozen) for pk, kind, balance, frozen in rows
        }

    def write_movement(self, movement: Movement, *, sender_after: int, recipient_after: int) -> PostedTransfer:
        params = {
            "sender": movement.sender,
            "recipient": movement.recipient,
            "amount": movement.amount,
            "sender_after": sender_after,
            "recipient_after": recipient_after,
            "public_id": uuid.uuid4(),
            "kind": movement.kind,
            "note": movement.note,
            "reverses": movement.reverses,
            "now": timezone.now(),
        }
        try:
            row = fetch_one(WRITE_SQL, params)
        except IntegrityError as error:
            columns = self.unique_columns(error)
            if columns is None:
                raise
            raise UniqueViolation(field_names(Transfer, columns), error) from None
        transfer_pk, accounts_moved = row
        if accounts_moved != 2:  # cannot happen with both rows locked; never commit it
            raise RuntimeError(f"transfer updated {accounts_moved} accounts, not 2")
        return PostedTransfer(pk=transfer_pk, public_id=str(params["public_id"]), created_at=params["now"])

    def create_search_indexes(self, schema_editor) -> None:
        """If the role may not create the pg_trgm extension, search still works, only
        slower; the migration says so instead of failing."""
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                for statement in SEARCH_INDEXES_CREATE:
                    schema_editor.execute(statement)
        except DatabaseError as error:
            logger.warning("trigram search indexes not created (%s); search will scan the table", error)

    def drop_search_indexes(self, schema_editor) -> None:
        for statement in SEARCH_INDEXES_DROP:
            schema_editor.execute(statement)

    def wallet_id(self, *, public_id):
        row = fetch_one(WALLET_ID_SQL, [public_id, Account.Kind.USER])
        return row[0] if row else None

    def balance(self, *, user_pk) -> int:
        row = fetch_one(BALANCE_SQL, [user_pk])
        return row[0] if row else 0

    def person_for_token(self, *, public_id):
        """One query per request: the wallet's identity comes cached as `user.account`, so a
        transfer needs no second lookup of the sender; its balance stays deferred."""
        row = fetch_one(PERSON_SQL, [public_id])
        if row is None:
            return None
        user = User.from_db(connection.alias, USER_FIELDS, row[: len(USER_FIELDS)])
        wallet_values = row[len(USER_FIELDS) :]
        wallet = None
        if wallet_values[0] is not None:  # LEFT JOIN: operators have no wallet
            wallet = Account.from_db(connection.alias, WALLET_FIELDS, wallet_values)
            Account.user.field.set_cached_value(wallet, user)
        User.account.related.set_cached_value(user, wallet)
        return user
