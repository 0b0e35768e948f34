"""The rows money movements write, built once for every store: a movement's transfer and its
two ledger entries, and the wallets, grants and entries of many sign-ups at once. Stores only
write these rows (accounts/stores/); the ledger algorithm decides what to write
(accounts/ledger.py).

Rows refer to each other by object, not by primary key: a store assigns keys as it inserts
(or the database does), and a row inserted after the one it refers to takes that key."""

from collections.abc import Sequence
from dataclasses import dataclass

from accounts.models import Account, LedgerEntry, Transfer
from accounts.movements import AccountState, Movement


@dataclass(frozen=True)
class BalanceChange:
    account: object  # primary key
    before: int  # paise, as read under the unit of work's lock
    after: int


@dataclass(frozen=True)
class Posting:
    """One movement as rows: its transfer (unsaved), the sender's debit and the recipient's
    credit (unsaved, referring to the transfer), and both accounts' new balances."""

    transfer: Transfer
    debit: LedgerEntry
    credit: LedgerEntry
    sender: BalanceChange
    recipient: BalanceChange

    @property
    def entries(self) -> tuple[LedgerEntry, LedgerEntry]:
        return self.debit, self.credit


def posting_of(movement: Movement, *, sender: AccountState, recipient: AccountState) -> Posting:
    """The rows of `movement` between these two accounts, as read under the lock. Each entry's
    balance_after is its account's new balance, so the projection and the entries agree by
    construction."""
    transfer = movement.as_transfer()
    sender_after, recipient_after = sender.balance - movement.amount, recipient.balance + movement.amount
    return Posting(
        transfer=transfer,
        debit=LedgerEntry(
            transfer=transfer,
            account_id=sender.pk,
            amount=-movement.amount,
            balance_after=sender_after,
            created_at=transfer.created_at,
        ),
        credit=LedgerEntry(
            transfer=transfer,
            account_id=recipient.pk,
            amount=movement.amount,
            balance_after=recipient_after,
            created_at=transfer.created_at,
        ),
        sender=BalanceChange(sender.pk, sender.balance, sender_after),
        recipient=BalanceChange(recipient.pk, recipient.balance, recipient_after),
    )


@dataclass(frozen=True)
class Openings:
    """Many sign-ups as rows, to insert in this order: wallets (holding their grant), grant
    transfers from the issuance account, their entries; then the issuance account's balance."""

    wallets: list[Account]
    transfers: list[Transfer]
    entries: list[LedgerEntry]
    issuance: BalanceChange


def openings_of(*, people: Sequence, grants: Sequence[int], issuance: AccountState) -> Openings:
    """The same rows sign-up writes for each of `people` (unsaved, passwords hashed), batched."""
    wallets, transfers, entries = [], [], []
    running = issuance.balance
    for person, grant in zip(people, grants, strict=True):
        wallet = Account(user=person, kind=Account.Kind.USER, balance=grant)
        transfer = Transfer(kind=Transfer.Kind.GRANT, sender_id=issuance.pk, recipient=wallet, amount=grant)
        running -= grant
        entries.append(
            LedgerEntry(
                transfer=transfer,
                account_id=issuance.pk,
                amount=-grant,
                balance_after=running,
                created_at=transfer.created_at,
            )
        )
        entries.append(
            LedgerEntry(
                transfer=transfer, account=wallet, amount=grant, balance_after=grant, created_at=transfer.created_at
            )
        )
        wallets.append(wallet)
        transfers.append(transfer)
    return Openings(wallets, transfers, entries, BalanceChange(issuance.pk, issuance.balance, running))
