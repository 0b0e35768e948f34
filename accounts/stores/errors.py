"""What a store reports, in its own terms: never an HTTP status (the API and the pages decide
what an outage looks like: core/errors.py).

This is the one place that reads pymongo's error classes; `is_unreachable` is registered
with core (accounts/apps.py) so an outage of MongoDB is recognised wherever it surfaces."""

from django.db import DatabaseError
from pymongo.errors import ConnectionFailure

from core.errors import DatabaseUnavailable, Unavailable

__all__ = [
    "ConcurrentCommit",
    "DatabaseBusy",
    "DatabaseUnavailable",
    "TransactionsUnavailable",
    "UniqueViolation",
    "is_unreachable",
]


class ConcurrentCommit(Exception):
    """Another unit of work committed a row this one meant to write first (an idempotency
    key, a reversal's link, a system account). The retry policy runs the unit of work again,
    and its checks then see that row: it replays, or refuses, instead of writing twice."""


class UniqueViolation(Exception):
    """An insert clashed with a unique index; `fields` names the model fields involved
    (empty when the database did not say)."""

    def __init__(self, fields: frozenset[str], cause: BaseException | None = None):
        self.fields = fields
        super().__init__(f"unique violation on {', '.join(sorted(fields)) or 'an unknown index'}")
        self.__cause__ = cause


class DatabaseBusy(Unavailable):
    """A unit of work kept colliding with others (on one account, say) until its attempts ran out."""

    default_detail = "Too many concurrent requests for this account, please retry"
    default_code = "busy"


class TransactionsUnavailable(Unavailable):
    """MongoDB running standalone: it answers queries but cannot run the transactions every
    movement needs."""

    default_detail = "Transfers are unavailable: the database is not a MongoDB replica set"
    default_code = "transactions_unavailable"


def is_unreachable(error: BaseException) -> bool:
    """A MongoDB that cannot be reached: pymongo's ConnectionFailure, bare (the store's own
    calls) or wrapped in a DatabaseError by django-mongodb-backend (the ORM's)."""
    if isinstance(error, ConnectionFailure):
        return True
    return isinstance(error, DatabaseError) and isinstance(error.__cause__, ConnectionFailure)
