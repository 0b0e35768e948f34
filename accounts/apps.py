from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Money"

    def ready(self):
        from accounts.stores import on_connection_created

        connection_created.connect(on_connection_created, dispatch_uid="accounts-store-on-connect")
