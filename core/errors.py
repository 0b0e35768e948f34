"""The roots of every error the service reports, and the one rule for what a database error means.

- `ServiceError`: a request refused by a rule of the service. DRF's shape: `status_code`,
  `default_detail` (the contract's message) and `default_code` (stable, machine-readable) as
  class attributes; `detail`, `code` and per-field `errors` on the instance. The API answers
  `{message, code, errors?}` (core/api/errors.py); pages choose their own words by `code`
  (web/wording.py, console/wording.py), so an error carries no page wording.
- `Unavailable`: something the service depends on cannot serve right now (the database is
  unreachable or too busy, or cannot run transactions). Nothing was changed and the same
  request can be retried. Stores raise it knowing nothing of HTTP; the API and the pages
  answer it with 503.
"""

from collections.abc import Callable

from django.db import InterfaceError, OperationalError


class ServiceError(Exception):
    status_code = 400
    default_detail = "Bad request"
    default_code = "bad_request"

    def __init__(self, detail: str | None = None, *, errors: dict | None = None):
        self.detail = detail or self.default_detail
        self.code = self.default_code
        self.errors = errors or {}
        super().__init__(self.detail)

    def body(self) -> dict:
        body = {"message": self.detail, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


class Unavailable(Exception):
    default_detail = "Service temporarily unavailable, please retry"
    default_code = "unavailable"

    def __init__(self, detail: str | None = None):
        self.detail = detail or self.default_detail
        self.code = self.default_code
        super().__init__(self.detail)

    def body(self) -> dict:
        return {"message": self.detail, "code": self.code}


class DatabaseUnavailable(Unavailable):
    default_detail = "Database unavailable, please retry shortly"
    default_code = "database_unavailable"


# Whether an exception means the database cannot be reached. Django wraps the SQL drivers'
# errors in these two; other drivers' errors are recognised by checks their store registers
# (accounts/apps.py), so that no driver's error classes are read outside its store.
_UNREACHABLE = (OperationalError, InterfaceError)
_unreachable_checks: list[Callable[[BaseException], bool]] = []


def register_unreachable_check(check: Callable[[BaseException], bool]) -> None:
    if check not in _unreachable_checks:
        _unreachable_checks.append(check)


def is_database_unreachable(error: BaseException) -> bool:
    """True for an outage (answer 503, retry later); False for every other failure,
    including programming and data errors, which are bugs (answer 500, log the traceback)."""
    if isinstance(error, (DatabaseUnavailable, *_UNREACHABLE)):
        return True
    return any(check(error) for check in _unreachable_checks)
