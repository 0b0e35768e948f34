"""The stores of the database in use: the one place in `accounts` that asks which database it is."""

from django.db import connection as default_connection

from accounts.stores.base import DatabaseHealth, LedgerStore
from accounts.stores.mongo import MongoDatabaseHealth, MongoLedgerStore
from accounts.stores.postgres import PostgresDatabaseHealth, PostgresLedgerStore
from accounts.stores.sql import SqlDatabaseHealth, SqlLedgerStore


def ledger_store(connection=None) -> LedgerStore:
    connection = connection or default_connection
    if connection.vendor == "postgresql":
        return PostgresLedgerStore()
    if connection.vendor == "mongodb":
        return MongoLedgerStore(connection=connection)
    return SqlLedgerStore()


def database_health(connection=None) -> DatabaseHealth:
    connection = connection or default_connection
    if connection.vendor == "mongodb":
        return MongoDatabaseHealth(connection)
    if connection.vendor == "postgresql":
        return PostgresDatabaseHealth()
    return SqlDatabaseHealth()


def on_connection_created(sender, connection, **kwargs) -> None:
    """At each new database connection, let its store check what it needs (MongoDB: that it
    can run transactions, and say how to fix it when it cannot)."""
    database_health(connection).on_connect()
