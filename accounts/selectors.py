"""Reads of wallets: balance and history. Nothing here writes."""

from accounts.models import LedgerEntry
from accounts.stores import ledger_store
from paytm_site.pagination import Page, decode_cursor, keyset_page

HISTORY_DEFAULT_LIMIT = 20
HISTORY_MAX_LIMIT = 100


def balance_get(*, user) -> int:
    """The user's balance in paise; 0 for someone without a wallet (operators)."""
    return ledger_store().balance(user_pk=user.pk)


def wallet_id_for(*, public_id) -> object | None:
    """The primary key of the wallet of the active person with this public id, or None."""
    return ledger_store().wallet_id(public_id=public_id)


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
    return keyset_page(list(entries[: limit + 1]), limit=limit)
