"""PostgreSQL: the SQL store with its hot paths in plain SQL (docs/PERFORMANCE.md).

Compiling an ORM query costs more CPU than PostgreSQL spends running these, so the primitives
every transfer and balance read uses are single prepared statements:
- lock both accounts in id order and read them (one statement);
- update both balances and insert the transfer and its two entries (one statement of
  data-modifying CTEs, which PostgreSQL always runs to completion);
- a wallet id by public id; a balance.
Serialization failures and deadlocks (SQLSTATE 40001, 40P01) restart the unit of work.
"""

import re

from django.db import DatabaseError, IntegrityError, OperationalError, connection

from accounts.models import Account, LedgerEntry, Transfer
from accounts.movements import RULES, AccountState, Movement
from accounts.postings import Posting
from accounts.stores.base import PostedTransfer
from accounts.stores.errors import UniqueViolation
from accounts.stores.sql import SqlDatabaseHealth, SqlLedgerStore, field_names
from core.health import DEGRADED, OK, Health
from core.sql import fetch_one

ACCOUNTS, TRANSFERS, ENTRIES = Account._meta.db_table, Transfer._meta.db_table, LedgerEntry._meta.db_table
PEOPLE = Account.user.field.related_model._meta.db_table
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
# A connection to a server that is no longer the primary (a failover demoted it while the
# connection lived): it can read but never write. Nothing was written, so the unit of work
# runs again on a new connection, which finds the new primary (target_session_attrs).
READ_ONLY_TRANSACTION = "25006"
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
# Lock both accounts in id order, apply the kind's rules (accounts/movements.py: who may send
# and receive it, whether a frozen wallet stops it, no user balance below zero) to what the
# lock read, and write both balances, the transfer and its entries: one statement, which
# PostgreSQL runs to completion and commits by itself. A movement the rules refuse writes
# nothing and returns no row; the ledger then takes the long way, which says why.
POST_AT_ONCE_SQL = f"""
WITH locked AS (
    SELECT id, kind, balance, frozen FROM {ACCOUNTS}
    WHERE id IN (%(sender)s, %(recipient)s) ORDER BY id FOR UPDATE
),
checked AS (
    SELECT s.id AS sender, r.id AS recipient,
           s.balance - %(amount)s AS sender_after, r.balance + %(amount)s AS recipient_after
    FROM locked s, locked r
    WHERE s.id = %(sender)s AND r.id = %(recipient)s AND s.id <> r.id
      AND s.kind = ANY(%(senders)s) AND r.kind = ANY(%(recipients)s)
      AND NOT (%(frozen_stops)s AND (s.frozen OR r.frozen))
      AND (s.kind <> %(user_kind)s OR s.balance >= %(amount)s)
),
moved AS (
    UPDATE {ACCOUNTS} a SET balance = CASE WHEN a.id = c.sender THEN c.sender_after ELSE c.recipient_after END
    FROM checked c WHERE a.id IN (c.sender, c.recipient)
    RETURNING a.id
),
transfer AS (
    INSERT INTO {TRANSFERS} (public_id, kind, sender_id, recipient_id, amount, note, reverses_id, created_at)
    SELECT %(public_id)s, %(kind)s, c.sender, c.recipient, %(amount)s, %(note)s, NULL, %(now)s FROM checked c
    RETURNING id
),
entries AS (
    INSERT INTO {ENTRIES} (transfer_id, account_id, amount, balance_after, created_at)
    SELECT t.id, e.account_id, e.amount, e.balance_after, %(now)s
    FROM transfer t, checked c,
         LATERAL (VALUES (c.sender, -%(amount)s::bigint, c.sender_after),
                         (c.recipient, %(amount)s::bigint, c.recipient_after)) AS e (account_id, amount, balance_after)
    RETURNING 1
)
SELECT t.id, c.sender_after, (SELECT count(*) FROM moved), (SELECT count(*) FROM entries) FROM transfer t, checked c
"""
BALANCE_SQL = f"SELECT balance FROM {ACCOUNTS} WHERE user_id = %s"
WALLET_ID_SQL = (
    f"SELECT a.id FROM {ACCOUNTS} a JOIN {PEOPLE} u ON u.id = a.user_id "
    f"WHERE u.public_id = %s AND u.is_active AND a.kind = %s"
)


class PostgresLedgerStore(SqlLedgerStore):
    def is_transient(self, error: BaseException) -> bool:
        sqlstate = getattr(error.__cause__, "sqlstate", None)
        if isinstance(error, OperationalError) and sqlstate in RETRYABLE_SQLSTATES:
            return True
        if isinstance(error, DatabaseError) and sqlstate == READ_ONLY_TRANSACTION:
            # Never reuse it, not even from a pool (DATABASE_POOL): it would refuse every write.
            if connection.connection is not None:
                connection.connection.close()
            connection.close()
            return True
        return super().is_transient(error)

    def post_at_once(self, movement: Movement) -> tuple[PostedTransfer, int] | None:
        """The whole of a movement that needs no unit of work of its own (no idempotency key,
        no source) in one round trip: POST_AT_ONCE_SQL, in autocommit. Transient failures
        are retried like a unit of work's; nothing is written by an attempt that failed."""
        if not _may_commit_here():
            raise RuntimeError("a movement cannot be posted inside another transaction: it could not be retried")
        if movement.kind in (Transfer.Kind.ADJUSTMENT, Transfer.Kind.REVERSAL):
            return None  # rules beyond RULES (an adjustment's sides, a reversal's link) are the long way's alone
        rules = RULES[movement.kind]
        transfer = movement.as_transfer()
        params = {
            "sender": movement.sender,
            "recipient": movement.recipient,
            "amount": movement.amount,
            "senders": sorted(rules.senders),
            "recipients": sorted(rules.recipients),
            "frozen_stops": rules.frozen_stops,
            "user_kind": Account.Kind.USER,
            "public_id": transfer.public_id,
            "kind": movement.kind,
            "note": movement.note,
            "now": transfer.created_at,
        }
        row = self.retries.run(lambda: fetch_one(POST_AT_ONCE_SQL, params), retryable=self.is_transient)
        if row is None:
            return None  # refused, or not for one statement: the ledger's long way says why
        transfer_pk, sender_after, accounts_moved, entries_written = row
        if (accounts_moved, entries_written) != (2, 2):  # cannot happen with both rows locked
            raise RuntimeError(f"a movement wrote {accounts_moved} balances and {entries_written} entries, not 2 and 2")
        return PostedTransfer(
            pk=transfer_pk, public_id=str(transfer.public_id), created_at=transfer.created_at
        ), sender_after

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

    def write_posting(self, posting: Posting) -> PostedTransfer:
        transfer = posting.transfer
        params = {
            "sender": posting.sender.account,
            "recipient": posting.recipient.account,
            "amount": transfer.amount,
            "sender_after": posting.sender.after,
            "recipient_after": posting.recipient.after,
            "public_id": transfer.public_id,
            "kind": transfer.kind,
            "note": transfer.note,
            "reverses": transfer.reverses_id,
            "now": transfer.created_at,
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
        return PostedTransfer(pk=transfer_pk, public_id=str(transfer.public_id), created_at=transfer.created_at)

    def wallet_id(self, *, public_id):
        row = fetch_one(WALLET_ID_SQL, [public_id, Account.Kind.USER])
        return row[0] if row else None

    def balance(self, *, user_pk) -> int:
        row = fetch_one(BALANCE_SQL, [user_pk])
        return row[0] if row else 0


class PostgresDatabaseHealth(SqlDatabaseHealth):
    """Also which server answers and that it takes writes: with several hosts in DATABASE_URL,
    the one libpq chose (the primary, after a failover the new one)."""

    def health(self) -> Health:
        (writable,) = fetch_one("SELECT NOT pg_is_in_recovery()", [])
        info = connection.connection.info
        database = {"status": "up", "vendor": "postgresql", "server": f"{info.host}:{info.port}"}
        if not writable:  # a standby: it cannot move money
            return Health(DEGRADED, {**database, "role": "standby"})
        return Health(OK, {**database, "role": "primary"})


def _may_commit_here() -> bool:
    """Whether a statement would commit by itself here: outside any transaction, or inside
    only the one a test case wraps every test in (as Django's own durable atomic allows)."""
    return all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)
