"""Every money movement goes through here: user transfers and sign-up's starting grant.

The service validates and resolves (amount, accounts, idempotency key); the ledger store
of the configured database performs the movement atomically (accounts/stores/).
"""

import re
import secrets
import uuid

from django.db import connection

from accounts.exceptions import InvalidAccount, InvalidAmount, InvalidIdempotencyKey
from accounts.models import Account, Transfer
from accounts.money import MAX_TRANSFER_PAISE, STARTING_GRANT_MAX_PAISE, STARTING_GRANT_MIN_PAISE
from accounts.selectors import wallet_id_for
from accounts.stores.base import (
    IdempotencyRequest,
    LedgerStore,
    Movement,
    TransferReceipt,
    TransferRequest,
    request_fingerprint,
)

IDEMPOTENCY_KEY_MAX_LENGTH = 255
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


def ledger_store() -> LedgerStore:
    """The unit of work for the configured database."""
    if connection.vendor == "mongodb":
        from accounts.stores.mongo import MongoLedgerStore

        return MongoLedgerStore()
    from accounts.stores.postgres import PostgresLedgerStore
    from accounts.stores.sql import SqlLedgerStore

    return PostgresLedgerStore() if connection.vendor == "postgresql" else SqlLedgerStore()


def starting_grant_amount() -> int:
    """A random whole number of paise from ₹1.00 to ₹10,000.00, inclusive."""
    return STARTING_GRANT_MIN_PAISE + secrets.randbelow(STARTING_GRANT_MAX_PAISE - STARTING_GRANT_MIN_PAISE + 1)


def account_open_with_grant(*, user, grant: int | None = None):
    """Save the new person (unsaved, password hashed), their wallet and its starting grant
    in one transaction."""
    grant = starting_grant_amount() if grant is None else grant
    if not STARTING_GRANT_MIN_PAISE <= grant <= STARTING_GRANT_MAX_PAISE:
        raise InvalidAmount()
    return ledger_store().signup(user=user, grant=grant)


def accounts_open_bulk(*, users: list, grants: list[int] | None = None) -> None:
    """Sign up many prepared (unsaved, password already hashed) users at once, each with a
    wallet and a starting grant, in one transaction. For seeding and benchmarks."""
    grants = grants or [starting_grant_amount() for _ in users]
    if len(grants) != len(users) or not all(STARTING_GRANT_MIN_PAISE <= g <= STARTING_GRANT_MAX_PAISE for g in grants):
        raise InvalidAmount()
    if users:
        ledger_store().open_accounts_bulk(users=users, grants=grants)


def transfer_create(*, sender, recipient_id: str, amount: int, idempotency_key: str | None = None) -> TransferReceipt:
    """Move `amount` paise from `sender`'s wallet to the wallet of the user whose public id
    is `recipient_id`. Raises InvalidAmount, InvalidAccount, InsufficientBalance,
    IdempotencyConflict; a retried key returns the first receipt without moving money."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_TRANSFER_PAISE:
        raise InvalidAmount()
    if idempotency_key is not None and not _IDEMPOTENCY_KEY.match(idempotency_key):
        raise InvalidIdempotencyKey()

    recipient_uuid = _parse_public_id(recipient_id)
    sender_pk = _wallet_id_of(sender)
    recipient_pk = wallet_id_for(public_id=recipient_uuid)
    if sender_pk is None or recipient_pk is None or sender_pk == recipient_pk:
        raise InvalidAccount()

    idempotency = None
    if idempotency_key is not None:
        idempotency = IdempotencyRequest(
            user_pk=sender.pk,
            key=idempotency_key,
            fingerprint=request_fingerprint(recipient_id=str(recipient_uuid), amount=amount),
        )
    movement = Movement(Transfer.Kind.TRANSFER, sender_pk, recipient_pk, amount)
    return ledger_store().transfer(TransferRequest(movement=movement, idempotency=idempotency))


def _wallet_id_of(user):
    """The sender's wallet: the one loaded with them (see users.selectors.user_for_token) or
    fetched now. Only its primary key is used: the balance is read under the row lock."""
    if not user.is_active:
        return None
    try:
        return user.account.pk
    except Account.DoesNotExist:
        return None


def _parse_public_id(value) -> uuid.UUID:
    if not isinstance(value, str) or len(value) > 64:
        raise InvalidAccount()
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidAccount() from None
