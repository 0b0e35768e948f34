"""Errors of sign-up, sign-in and profile updates, with the contract's exact messages.

411 is the original contract's status for these; clients written for it depend on it.
"""

from accounts.exceptions import OperationError
from core.api.errors import MESSAGE_TOKEN_INVALID
from core.errors import ServiceError
from users.models import NAME_MAX_LENGTH

MESSAGE_SIGNUP_REJECTED = "Email already taken / Incorrect inputs"
MESSAGE_SIGNIN_FAILED = "Error while logging in"
MESSAGE_UPDATE_REJECTED = "Error while updating information"
MESSAGE_EMAIL_TAKEN = "Email already taken"
MESSAGE_INVALID_NAME = (
    f"Enter a name of 1 to {NAME_MAX_LENGTH} characters with at least one letter, "
    "without control or invisible characters."
)


class SignupRejected(ServiceError):
    status_code = 411
    default_detail = MESSAGE_SIGNUP_REJECTED
    default_code = "signup_rejected"


class SigninFailed(ServiceError):
    status_code = 411
    default_detail = MESSAGE_SIGNIN_FAILED
    default_code = "signin_failed"


class UpdateRejected(ServiceError):
    status_code = 411
    default_detail = MESSAGE_UPDATE_REJECTED
    default_code = "update_rejected"


class SignoutIncomplete(ServiceError):
    status_code = 400
    default_detail = "Nothing to sign out: send refresh (the refresh token to end), everywhere: true, or both"
    default_code = "signout_incomplete"


class TokenRejected(ServiceError):
    status_code = 403
    default_detail = MESSAGE_TOKEN_INVALID
    default_code = "token_invalid"  # the same as a bad token in the Authorization header


class PersonStateUnchanged(OperationError):
    status_code = 409
    default_detail = "The person is already in that state"
    default_code = "person_state_unchanged"
