"""Reads of wallets: balance and history. Nothing here writes."""

import base64
import binascii
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.exceptions import InvalidCursor
from accounts.models import Account, LedgerEntry
from paytm_site.sql import fetch_one

User = get_user_model()

HISTORY_DEFAULT_LIMIT = 20
HISTORY_MAX_LIMIT = 100


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def balance_get(*, user) -> int:
    """The user's balance in paise; 0 for someone without a wallet (operators)."""
    if connection.vendor == "postgresql":
        row = fetch_one(_BALANCE_SQL, [user.pk])
    else:
        row = Account.objects.filter(user=user).values_list("balance").first()
    return row[0] if row else 0


def wallet_id_for(*, public_id: uuid.UUID) -> object | None:
    """The primary key of the wallet of the active person with this public id, or None."""
    if connection.vendor == "postgresql":
        row = fetch_one(_WALLET_ID_SQL, [public_id, Account.Kind.USER])
    else:
        row = (
            Account.objects.filter(kind=Account.Kind.USER, user__is_active=True, user__public_id=public_id)
            .values_list("pk")
            .first()
        )
    return row[0] if row else None


# Balance reads and transfers ask these on every request. On PostgreSQL they are plain SQL
# because compiling the ORM query costs more CPU than PostgreSQL spends running it.
_BALANCE_SQL = f"SELECT balance FROM {Account._meta.db_table} WHERE user_id = %s"
_WALLET_ID_SQL = (
    f"SELECT a.id FROM {Account._meta.db_table} a JOIN {User._meta.db_table} u ON u.id = a.user_id "
    f"WHERE u.public_id = %s AND u.is_active AND a.kind = %s"
)


def transactions_list(*, user, cursor: str | None = None, limit: int = HISTORY_DEFAULT_LIMIT) -> Page:
    """The user's ledger entries, newest first, with the transfer and counterparty loaded.

    Keyset pagination on the entry's primary key: stable while new entries arrive, and
    served by the (account, -id) index at any depth."""
    entries = (
        LedgerEntry.objects.filter(account__user=user)
        .select_related("transfer__sender__user", "transfer__recipient__user")
        .order_by("-pk")
    )
    if cursor:
        entries = entries.filter(pk__lt=decode_cursor(cursor, LedgerEntry))
    rows = list(entries[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1].pk) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


def encode_cursor(position) -> str:
    return base64.urlsafe_b64encode(str(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, model):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        position = model._meta.pk.to_python(raw)
    except (ValueError, binascii.Error, UnicodeError, ValidationError):
        raise InvalidCursor() from None
    if isinstance(position, int) and not 0 < position < 2**63:
        raise InvalidCursor()  # out of range for a database integer
    return position


def clamp_limit(raw, *, default: int, maximum: int) -> int:
    """Query-string limits never fail a request: junk means the default, and the
    value is held within 1..maximum."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return max(1, min(value, maximum))


def parse_offset(raw) -> int:
    """A page offset from the query string; junk or negative means the first page."""
    try:
        return min(max(0, int(raw)), 10**7)
    except (TypeError, ValueError):
        return 0
