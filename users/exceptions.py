"""Errors of sign-up, sign-in and profile updates, with the contract's exact messages.

411 is the original contract's status for these; clients written for it depend on it.
"""

from paytm_site.errors import ServiceError

MESSAGE_SIGNUP_REJECTED = "Email already taken / Incorrect inputs"
MESSAGE_SIGNIN_FAILED = "Error while logging in"
MESSAGE_UPDATE_REJECTED = "Error while updating information"
MESSAGE_SIGNUP_SUCCESS = "User created successfully"
MESSAGE_UPDATE_SUCCESS = "Updated successfully"
MESSAGE_TOKEN_INVALID = "Invalid or expired token"


class SignupRejected(ServiceError):
    status_code = 411
    message = MESSAGE_SIGNUP_REJECTED


class SigninFailed(ServiceError):
    status_code = 411
    message = MESSAGE_SIGNIN_FAILED


class UpdateRejected(ServiceError):
    status_code = 411
    message = MESSAGE_UPDATE_REJECTED


class TokenRejected(ServiceError):
    status_code = 403
    message = MESSAGE_TOKEN_INVALID
