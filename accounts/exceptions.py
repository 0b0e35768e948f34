"""Errors of moving money, each with the contract's status and exact message."""

from paytm_site.errors import ServiceError

MESSAGE_TRANSFER_SUCCESS = "Transfer successful"
MESSAGE_INSUFFICIENT_BALANCE = "Insufficient balance"
MESSAGE_INVALID_ACCOUNT = "Invalid account"
MESSAGE_INVALID_AMOUNT = "Invalid amount"
MESSAGE_IDEMPOTENCY_CONFLICT = "Idempotency-Key was already used with a different request"
MESSAGE_INVALID_IDEMPOTENCY_KEY = "Idempotency-Key must be 1 to 255 printable characters"
MESSAGE_INVALID_CURSOR = "Invalid cursor"


class WalletError(ServiceError):
    status_code = 400


class InsufficientBalance(WalletError):
    message = MESSAGE_INSUFFICIENT_BALANCE


class InvalidAccount(WalletError):
    message = MESSAGE_INVALID_ACCOUNT


class InvalidAmount(WalletError):
    message = MESSAGE_INVALID_AMOUNT


class InvalidIdempotencyKey(WalletError):
    message = MESSAGE_INVALID_IDEMPOTENCY_KEY


class IdempotencyConflict(WalletError):
    status_code = 422
    message = MESSAGE_IDEMPOTENCY_CONFLICT


class InvalidCursor(WalletError):
    message = MESSAGE_INVALID_CURSOR
