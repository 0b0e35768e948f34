"""What a money movement is, and the rules each kind obeys. Written once for every store.

A movement names its kind, the two accounts (by primary key), the amount in paise, a note
and the transfer it reverses, if any. Its kind's rules say which accounts may send and
receive it and whether a frozen wallet stops it; `check` applies them to the two accounts
as read under the unit of work's lock. A new kind of movement is one new `Transfer.Kind`
value and one entry in `RULES`.
"""

from dataclasses import dataclass

from accounts.exceptions import AccountFrozen, InsufficientBalance, InvalidAccount, WalletError
from accounts.models import Account, Transfer

USER, ISSUANCE, ADJUSTMENT = Account.Kind.USER, Account.Kind.ISSUANCE, Account.Kind.ADJUSTMENT


@dataclass(frozen=True)
class Movement:
    kind: str
    sender: object  # account primary keys
    recipient: object
    amount: int  # paise, > 0
    note: str = ""
    reverses: object | None = None  # primary key of the transfer a reversal undoes

    def as_transfer(self) -> Transfer:
        """The (unsaved) transfer record of this movement."""
        return Transfer(
            kind=self.kind,
            sender_id=self.sender,
            recipient_id=self.recipient,
            amount=self.amount,
            note=self.note,
            reverses_id=self.reverses,
        )


@dataclass(frozen=True)
class AccountState:
    """An account as read under the unit of work's lock."""

    pk: object
    kind: str
    balance: int
    frozen: bool = False


@dataclass(frozen=True)
class KindRules:
    senders: frozenset
    recipients: frozenset
    # A person's own movements stop at a frozen wallet; an operator's (a reversal, an
    # adjustment) do not: they are how a frozen wallet's money is put right.
    frozen_stops: bool


PERSON_TO_PERSON = KindRules(senders=frozenset({USER}), recipients=frozenset({USER}), frozen_stops=True)
RULES: dict[str, KindRules] = {
    Transfer.Kind.TRANSFER: PERSON_TO_PERSON,
    Transfer.Kind.REQUEST: PERSON_TO_PERSON,
    Transfer.Kind.GRANT: KindRules(senders=frozenset({ISSUANCE}), recipients=frozenset({USER}), frozen_stops=False),
    Transfer.Kind.REVERSAL: KindRules(senders=frozenset({USER}), recipients=frozenset({USER}), frozen_stops=False),
    Transfer.Kind.ADJUSTMENT: KindRules(
        senders=frozenset({USER, ADJUSTMENT}), recipients=frozenset({USER, ADJUSTMENT}), frozen_stops=False
    ),
}


def check(movement: Movement, sender: AccountState | None, recipient: AccountState | None) -> type[WalletError] | None:
    """The error that refuses this movement between these accounts, or None to post it."""
    rules = RULES[movement.kind]
    if sender is None or recipient is None or sender.pk == recipient.pk:
        return InvalidAccount
    if sender.kind not in rules.senders or recipient.kind not in rules.recipients:
        return InvalidAccount
    if movement.kind == Transfer.Kind.ADJUSTMENT and (sender.kind == ADJUSTMENT) == (recipient.kind == ADJUSTMENT):
        return InvalidAccount  # an adjustment is between a wallet and the adjustment account
    if rules.frozen_stops and sender.frozen:
        return AccountFrozen
    if rules.frozen_stops and recipient.frozen:
        return InvalidAccount
    if sender.kind == USER and sender.balance < movement.amount:
        return InsufficientBalance  # only system accounts may go below zero
    return None
