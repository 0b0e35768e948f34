from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: errors and their HTTP mapping, paging, text rules, the clock,
    the API's base classes and parser, page actions, middleware and the health check.
    It imports no app of ours (docs/ARCHITECTURE.md)."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from django.core.signals import got_request_exception

        got_request_exception.connect(count_database_bug, dispatch_uid="core-count-database-bugs")


def count_database_bug(sender, request=None, **kwargs):
    """A database error that reached Django's 500 handling is a bug, not an outage: counted
    as wallet_database_errors_total{kind="other"} (outages are counted where they are answered)."""
    import sys

    from django.db import DatabaseError

    from core import metrics
    from core.errors import is_database_unreachable

    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError) and not is_database_unreachable(error):
        metrics.record_database_error(metrics.OTHER)
