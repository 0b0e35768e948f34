"""The root of every domain error, and the one rule for what a database error means.

Domain errors have DRF's shape: `status_code`, `default_detail` and `default_code` as class
attributes, `detail` and `code` on the instance. Services raise them; the API's exception
handler turns them into `{message, errors?}` and the pages show the same `detail` (or the
`page_detail`, where a person needs other words than an API client), beside the form field
named by `field`. So every message lives once, on its exception.
"""

from django.db import DatabaseError, InterfaceError, OperationalError
from pymongo.errors import ConnectionFailure


class ServiceError(Exception):
    status_code = 400
    default_detail = "Bad request"
    default_code = "bad_request"
    field: str | None = None  # the input this error is about, for a form
    page_detail: str | None = None  # the wording for a page, when it differs from the API's

    def __init__(self, detail: str | None = None, *, errors: dict | None = None):
        self.detail = detail or self.default_detail
        self.code = self.default_code
        self.errors = errors or {}
        super().__init__(self.detail)

    def body(self) -> dict:
        body = {"message": self.detail}
        if self.errors:
            body["errors"] = self.errors
        return body

    @property
    def page_message(self) -> str:
        return self.page_detail or self.detail


class ServiceUnavailable(ServiceError):
    status_code = 503
    default_detail = "Service temporarily unavailable, please retry"
    default_code = "unavailable"
    page_detail = "We're briefly unavailable. Nothing was sent or changed; please try again in a moment."


class DatabaseUnavailable(ServiceUnavailable):
    default_detail = "Database unavailable, please retry shortly"
    default_code = "database_unavailable"


class ServiceBusy(ServiceUnavailable):
    default_detail = "Too many concurrent requests for this account, please retry"
    default_code = "busy"


# A database that cannot be reached: the connection failed, was dropped or timed out.
# Django wraps the SQL drivers' errors in these two; django-mongodb-backend wraps pymongo's
# in a plain DatabaseError whose cause is the pymongo error, and some paths raise it bare.
_UNREACHABLE = (OperationalError, InterfaceError, ConnectionFailure)


def is_database_unreachable(error: BaseException) -> bool:
    """True for an outage (answer 503, retry later); False for every other failure,
    including programming and data errors, which are bugs (answer 500, log the traceback)."""
    if isinstance(error, _UNREACHABLE):
        return True
    return isinstance(error, DatabaseError) and isinstance(error.__cause__, ConnectionFailure)
