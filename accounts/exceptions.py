"""Errors of moving money, each with the contract's status and exact message.

A movement that is refused inside its unit of work (the balance or a wallet's state, read
under the lock) ends as a `Refused` outcome naming one of `REFUSALS` by its code; the
service raises that error once the unit of work has committed, so an idempotency record
can remember the refusal (Stripe's semantics).

Each error carries its status, message and code; limits in messages come from the constants
that hold them. What a page says instead lives with the pages (web/wording.py,
console/wording.py), and what success says with the views."""

from accounts.models import (
    ADJUSTMENT_APPROVAL_DAYS,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    NOTE_MAX_LENGTH,
)
from core.errors import ServiceError

MESSAGE_INSUFFICIENT_BALANCE = "Insufficient balance"
MESSAGE_INVALID_ACCOUNT = "Invalid account"
MESSAGE_ACCOUNT_FROZEN = "Account frozen"
MESSAGE_INVALID_AMOUNT = "Invalid amount"
MESSAGE_IDEMPOTENCY_CONFLICT = "Idempotency-Key was already used with a different request"
MESSAGE_INVALID_IDEMPOTENCY_KEY = f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable characters"


class WalletError(ServiceError):
    status_code = 400


class InsufficientBalance(WalletError):
    default_detail = MESSAGE_INSUFFICIENT_BALANCE
    default_code = "insufficient_balance"


class InvalidAccount(WalletError):
    default_detail = MESSAGE_INVALID_ACCOUNT
    default_code = "invalid_account"


class AccountFrozen(WalletError):
    default_detail = MESSAGE_ACCOUNT_FROZEN
    default_code = "account_frozen"


class InvalidAmount(WalletError):
    default_detail = MESSAGE_INVALID_AMOUNT
    default_code = "invalid_amount"


class InvalidIdempotencyKey(WalletError):
    default_detail = MESSAGE_INVALID_IDEMPOTENCY_KEY
    default_code = "invalid_idempotency_key"


class IdempotencyConflict(WalletError):
    status_code = 422
    default_detail = MESSAGE_IDEMPOTENCY_CONFLICT
    default_code = "idempotency_conflict"


# What a unit of work can refuse, by code (stored in an idempotency record's error_code).
REFUSALS: dict[str, type[WalletError]] = {
    error.default_code: error for error in (InsufficientBalance, InvalidAccount, AccountFrozen)
}


def register_refusal(error: type[ServiceError]) -> type[ServiceError]:
    """Make `error` a possible refusal of a unit of work (decorator for later kinds)."""
    REFUSALS[error.default_code] = error
    return error


# -- operators' actions (accounts/operations.py) ----------------------------------------------


class OperationError(ServiceError):
    status_code = 400


class OperationForbidden(OperationError):
    status_code = 403
    default_detail = "You do not have permission to do this"
    default_code = "forbidden"


class ReasonRequired(OperationError):
    default_detail = f"Give a reason (1 to {NOTE_MAX_LENGTH} characters): it goes into the audit log"
    default_code = "reason_required"


class WalletStateUnchanged(OperationError):
    status_code = 409
    default_detail = "The wallet is already in that state"
    default_code = "wallet_state_unchanged"


@register_refusal
class AlreadyReversed(OperationError):
    status_code = 409
    default_detail = "This transfer has already been reversed"
    default_code = "already_reversed"


@register_refusal
class NotReversible(OperationError):
    default_detail = "Only a payment between people (a transfer or a paid request) can be reversed"
    default_code = "not_reversible"


class ReversalExceedsBalance(OperationError):
    default_detail = "The recipient holds less than the amount, so nothing was reversed"
    default_code = "reversal_exceeds_balance"


@register_refusal
class ProposalNotOpen(OperationError):
    status_code = 409
    default_detail = "This adjustment has already been decided"
    default_code = "proposal_not_open"


@register_refusal
class ProposalExpired(OperationError):
    status_code = 409
    default_detail = (
        f"This proposal is more than {ADJUSTMENT_APPROVAL_DAYS} days old and can no longer be approved; "
        "propose it again"
    )
    default_code = "proposal_expired"


class OwnProposal(OperationError):
    status_code = 403
    default_detail = "A different operator must approve or reject your proposal (four eyes)"
    default_code = "own_proposal"


class AdjustmentOverdraft(OperationError):
    default_detail = "Refused: this debit would make the wallet's balance negative"
    default_code = "adjustment_overdraft"


# -- money requests (accounts/money_requests.py) ------------------------------------------------


class InvalidNote(WalletError):
    default_detail = "Invalid note"
    default_code = "invalid_note"


class TooManyMoneyRequests(WalletError):
    status_code = 429
    default_detail = "Too many money requests: please wait before asking again"
    default_code = "too_many_money_requests"


class RequestNotFound(WalletError):
    status_code = 404
    default_detail = "Request not found"
    default_code = "request_not_found"


@register_refusal
class RequestNotPending(WalletError):
    status_code = 409
    default_detail = "Request is not pending"
    default_code = "request_not_pending"


class InvalidFilter(WalletError):
    default_detail = "Invalid filter"
    default_code = "invalid_filter"


class InvalidFormat(WalletError):
    default_detail = "Invalid format: json or csv"
    default_code = "invalid_format"


class InvalidDateRange(WalletError):
    default_detail = "Invalid date range"
    default_code = "invalid_date_range"
