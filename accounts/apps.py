from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Money"

    def ready(self):
        from accounts.stores import database_health, on_connection_created
        from accounts.stores.errors import is_unreachable
        from core import health
        from core.errors import register_unreachable_check

        connection_created.connect(on_connection_created, dispatch_uid="accounts-store-on-connect")
        # core knows no database: tell it what an outage of ours looks like, and how to check health.
        register_unreachable_check(is_unreachable)
        health.register(lambda: database_health().health())
