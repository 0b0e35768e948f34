from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: errors and their HTTP mapping, paging, text rules, the clock,
    the API's base classes and parser, page actions, middleware and the health check.
    It imports no app of ours (docs/ARCHITECTURE.md)."""

    name = "core"
    verbose_name = "Core"
