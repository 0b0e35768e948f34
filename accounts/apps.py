import logging

from django.apps import AppConfig
from django.db.backends.signals import connection_created

logger = logging.getLogger("accounts")


def warn_if_mongodb_is_standalone(sender, connection, **kwargs):
    """At the first database connection, say how to fix a MongoDB that cannot run transactions."""
    if connection.vendor != "mongodb":
        return
    from pymongo.errors import PyMongoError

    from accounts.stores.mongo import REPLICA_SET_HELP, transactions_supported

    try:
        if not transactions_supported(connection):
            logger.warning(REPLICA_SET_HELP)
    except PyMongoError as error:
        logger.warning("MongoDB is not reachable yet: %s", error)


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        connection_created.connect(warn_if_mongodb_is_standalone, dispatch_uid="accounts-mongodb-standalone")
