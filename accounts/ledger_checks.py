"""`ledger_verify()`: every ledger invariant checked against what is stored, by the checks of
the database in use (accounts/stores/sql_checks.py, accounts/stores/mongo_checks.py).

Returns a report instead of raising, so `manage.py verify_ledger` can print all breaches
at once and tests can assert on it after every money operation."""

from accounts.stores import ledger_store
from accounts.stores.base import LedgerReport


def ledger_verify() -> LedgerReport:
    return ledger_store().verify_ledger()
