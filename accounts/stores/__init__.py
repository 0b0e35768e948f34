"""The ledger store of the database in use: the one place that asks which database it is."""

from django.db import connection as default_connection

from accounts.stores.base import LedgerStore
from accounts.stores.mongo import MongoLedgerStore
from accounts.stores.postgres import PostgresLedgerStore
from accounts.stores.sql import SqlLedgerStore


def ledger_store(connection=None) -> LedgerStore:
    connection = connection or default_connection
    if connection.vendor == "postgresql":
        return PostgresLedgerStore()
    if connection.vendor == "mongodb":
        return MongoLedgerStore(connection=connection)
    return SqlLedgerStore()


def on_connection_created(sender, connection, **kwargs) -> None:
    """At each new database connection, let its store check what it needs (MongoDB: that it
    can run transactions, and say how to fix it when it cannot)."""
    ledger_store(connection).on_connect()
