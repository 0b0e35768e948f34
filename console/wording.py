"""What the console says when an operator's action is refused, by the error's code. The
operators' services already word their refusals for operators (accounts/exceptions.py,
users/exceptions.py); this table holds only where the console needs other words."""

from accounts.exceptions import InvalidAmount
from accounts.money import MAX_TRANSFER_PAISE, format_inr
from core.errors import ServiceError

AMOUNT_RULE = f"Enter an amount from ₹0.01 to {format_inr(MAX_TRANSFER_PAISE)} with at most two decimals"
MESSAGE_CHOOSE_DIRECTION = "Choose credit or debit"
CONSOLE_WORDING = {InvalidAmount.default_code: AMOUNT_RULE}


def console_message(error: ServiceError) -> str:
    if error.detail != error.default_detail:
        return error.detail  # worded for this very case by the service (a name, a balance)
    return CONSOLE_WORDING.get(error.code, error.detail)
