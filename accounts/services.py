"""Money movements people start, and opening wallets. Each goes through the one ledger
algorithm (accounts/ledger.py): this module validates and resolves the request (amount,
accounts, idempotency key), describes the movement and turns its outcome into a receipt
or the contract's error."""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from accounts import ledger
from accounts.exceptions import InvalidAccount, InvalidAmount, InvalidIdempotencyKey
from accounts.models import IDEMPOTENCY_KEY_MAX_LENGTH, Account, IdempotencyRecord, Transfer
from accounts.money import STARTING_GRANT_MAX_PAISE, STARTING_GRANT_MIN_PAISE, is_valid_paise
from accounts.movements import Movement
from accounts.postings import openings_of
from accounts.stores import ledger_store
from accounts.stores.base import IdempotencyRequest, LedgerStore
from core.ids import parse_public_id
from core.replicas import pin_to_primary

_IDEMPOTENCY_KEY = re.compile(rf"^[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}$")  # printable ASCII, no spaces


@dataclass(frozen=True)
class TransferReceipt:
    transfer_id: str
    sender_balance: int  # paise, right after this transfer
    created_at: datetime
    replayed: bool = False


def starting_grant_amount() -> int:
    """A random whole number of paise from ₹1.00 to ₹10,000.00, inclusive."""
    return STARTING_GRANT_MIN_PAISE + secrets.randbelow(STARTING_GRANT_MAX_PAISE - STARTING_GRANT_MIN_PAISE + 1)


def account_open_with_grant(*, user, grant: int | None = None):
    """Save the new person (unsaved, password hashed), their wallet and its starting grant
    in one unit of work. A clash on a unique field raises stores.base.UniqueViolation."""
    grant = starting_grant_amount() if grant is None else grant
    if not STARTING_GRANT_MIN_PAISE <= grant <= STARTING_GRANT_MAX_PAISE:
        raise InvalidAmount()

    def open_wallet(unit):
        unit.insert(user)
        wallet = Account(user=user, kind=Account.Kind.USER)
        unit.insert(wallet)
        issuance = unit.system_account(Account.Kind.ISSUANCE)
        ledger.raise_if_refused(ledger.post_in(unit, Movement(Transfer.Kind.GRANT, issuance, wallet.pk, grant)))
        return user

    return ledger_store().run(open_wallet)


def accounts_open_bulk(*, users: list, grants: list[int] | None = None, store: LedgerStore | None = None) -> None:
    """Sign up many prepared (unsaved, password already hashed) users at once, each with a
    wallet and a starting grant, in one transaction. For seeding and benchmarks."""
    grants = grants or [starting_grant_amount() for _ in users]
    if len(grants) != len(users) or not all(STARTING_GRANT_MIN_PAISE <= g <= STARTING_GRANT_MAX_PAISE for g in grants):
        raise InvalidAmount()
    if not users:
        return

    def open_wallets(unit):
        issuance_pk = unit.system_account(Account.Kind.ISSUANCE)
        issuance = unit.lock_accounts(issuance_pk)[issuance_pk]
        openings = openings_of(people=users, grants=grants, issuance=issuance)
        for rows in (users, openings.wallets, openings.transfers, openings.entries):
            unit.insert_many(rows)
        unit.set_balance(issuance.pk, before=openings.issuance.before, after=openings.issuance.after)

    (store or ledger_store()).run(open_wallets)


def transfer_create(*, sender, recipient_id: str, amount: int, idempotency_key: str | None = None) -> TransferReceipt:
    """Move `amount` paise from `sender`'s wallet to the wallet of the user whose public id
    is `recipient_id`. Raises InvalidAmount, InvalidAccount, AccountFrozen,
    InsufficientBalance, IdempotencyConflict; a retried key returns the first receipt
    without moving money."""
    if not is_valid_paise(amount):
        raise InvalidAmount()
    idempotency_key = valid_idempotency_key(idempotency_key)
    recipient = parse_public_id(recipient_id)
    if recipient is None:
        raise InvalidAccount()
    store = ledger_store()
    sender_wallet, recipient_wallet = wallet_id_of(sender), store.wallet_id(public_id=recipient)
    if sender_wallet is None or recipient_wallet is None or sender_wallet == recipient_wallet:
        raise InvalidAccount()

    idempotency = None
    if idempotency_key is not None:
        idempotency = IdempotencyRequest.of(user_pk=sender.pk, key=idempotency_key, request=(recipient, amount))
    movement = Movement(Transfer.Kind.TRANSFER, sender_wallet, recipient_wallet, amount)
    receipt = receipt_of(ledger.post(movement, idempotency=idempotency, store=store))
    pin_to_primary(sender.pk)  # the sender's own history shows it at once (read-your-writes)
    return receipt


def receipt_of(outcome: ledger.Outcome) -> TransferReceipt:
    posted = ledger.raise_if_refused(outcome)
    return TransferReceipt(
        transfer_id=posted.transfer.public_id,
        sender_balance=posted.sender_balance,
        created_at=posted.transfer.created_at,
        replayed=posted.replayed,
    )


def valid_idempotency_key(key: str | None) -> str | None:
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise InvalidIdempotencyKey()
    return key


def wallet_id_of(user):
    """The wallet of a person who may move money: the one loaded with them (see
    LedgerStore.person_for_token) or fetched now. Only its primary key is used: the balance
    is read under the lock."""
    if not user.is_active:
        return None
    try:
        return user.account.pk
    except Account.DoesNotExist:
        return None


PRUNE_BATCH = 10_000


def idempotency_records_prune(*, now=None) -> int:
    """Delete the Idempotency-Key records older than IDEMPOTENCY_KEY_HOURS, in batches (they no
    longer answer anything: an older key is a new request). Returns how many were deleted."""
    cutoff = ledger.idempotency_cutoff(now)
    expired = IdempotencyRecord.objects.filter(created_at__lt=cutoff)
    deleted = 0
    while batch := list(expired.values_list("pk", flat=True)[:PRUNE_BATCH]):
        IdempotencyRecord.objects.filter(pk__in=batch).delete()
        deleted += len(batch)
    return deleted
