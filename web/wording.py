"""What the pages say when a service refuses, by the error's code: the words a person reads
(API clients read the error's own message) and the form field the error is about. An error
missing here shows its own message above the form."""

from dataclasses import dataclass

from accounts.exceptions import (
    AccountFrozen,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidAccount,
    InvalidAmount,
    InvalidDateRange,
    InvalidIdempotencyKey,
    InvalidNote,
    RequestNotPending,
    TooManyMoneyRequests,
)
from accounts.models import REQUEST_NOTE_MAX_LENGTH
from accounts.money import MAX_TRANSFER_PAISE, format_inr
from accounts.statements import MAX_DAYS
from core.errors import ServiceError
from users.exceptions import SigninFailed


@dataclass(frozen=True)
class Wording:
    message: str | None = None  # None: the error's own message
    field: str | None = None  # the form field it is shown beside, when the form has it


MESSAGE_UNKNOWN_RECIPIENT = "This person can't receive money. Pick someone from your dashboard."
PAGE_WORDING = {
    InsufficientBalance.default_code: Wording(field="amount"),
    InvalidAccount.default_code: Wording(MESSAGE_UNKNOWN_RECIPIENT),
    AccountFrozen.default_code: Wording("Your wallet is frozen, so it can't send money. Please contact support."),
    InvalidAmount.default_code: Wording(
        f"Enter an amount from ₹0.01 to {format_inr(MAX_TRANSFER_PAISE)} with at most two decimals.", field="amount"
    ),
    InvalidIdempotencyKey.default_code: Wording("This payment form is stale. Please start again."),
    IdempotencyConflict.default_code: Wording(
        "This payment form was already used for a different payment. Please start again."
    ),
    InvalidNote.default_code: Wording(
        f"A note is at most {REQUEST_NOTE_MAX_LENGTH} characters, without line breaks.", field="note"
    ),
    RequestNotPending.default_code: Wording(
        "This request is no longer waiting: it was paid, declined, cancelled or has expired."
    ),
    InvalidDateRange.default_code: Wording(
        f"Choose dates as YYYY-MM-DD, the first no later than the last, at most {MAX_DAYS} days apart."
    ),
    SigninFailed.default_code: Wording("That email and password don't match an account."),
    TooManyMoneyRequests.default_code: Wording(
        "You have asked for money many times in a short while. Please wait a little."
    ),
}


def wording_of(error: ServiceError) -> Wording:
    return PAGE_WORDING.get(error.code, Wording())


def page_message(error: ServiceError) -> str:
    """What a person reads: the page's words for this error, unless the service worded this
    very case itself (a message other than the error's default)."""
    if error.detail != error.default_detail:
        return error.detail
    return wording_of(error).message or error.detail


def field_of(error: ServiceError) -> str | None:
    return wording_of(error).field
