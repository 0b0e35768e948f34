"""The stores' protocols (accounts/stores/base.py, users/stores/base.py): every store implements
every primitive of its protocol with the declared signature, and only the stores (and the
settings, and a migration that applies to one database only) ask which database is in use."""

import inspect
from pathlib import Path

import pytest

from accounts.stores.base import DatabaseHealth, LedgerStore
from accounts.stores.mongo import MongoDatabaseHealth, MongoLedgerStore
from accounts.stores.postgres import PostgresDatabaseHealth, PostgresLedgerStore
from accounts.stores.sql import SqlDatabaseHealth, SqlLedgerStore
from users.stores.base import PeopleStore
from users.stores.mongo import MongoPeopleStore
from users.stores.postgres import PostgresPeopleStore
from users.stores.sql import OrmPeopleStore

PROJECT = Path(__file__).resolve().parents[3]


def protocol_members(protocol) -> list[str]:
    return [name for name, member in vars(protocol).items() if inspect.isfunction(member) and not name.startswith("_")]


@pytest.mark.parametrize(
    ("protocol", "store_class", "at_least"),
    [
        (LedgerStore, SqlLedgerStore, 14),
        (LedgerStore, PostgresLedgerStore, 14),
        (LedgerStore, MongoLedgerStore, 14),
        (DatabaseHealth, SqlDatabaseHealth, 2),
        (DatabaseHealth, MongoDatabaseHealth, 2),
        (DatabaseHealth, PostgresDatabaseHealth, 2),
        (PeopleStore, OrmPeopleStore, 3),
        (PeopleStore, PostgresPeopleStore, 3),
        (PeopleStore, MongoPeopleStore, 3),
    ],
)
def test_every_store_implements_every_primitive_of_its_protocol(protocol, store_class, at_least):
    assert len(protocol_members(protocol)) >= at_least
    for name in protocol_members(protocol):
        implemented = getattr(store_class, name, None)
        assert callable(implemented), f"{store_class.__name__} lacks {name}"
        declared = inspect.signature(getattr(protocol, name))
        assert list(inspect.signature(implemented).parameters) == list(declared.parameters), name


def test_only_the_stores_and_settings_ask_which_database_they_are_on():
    asking = "connection." + "vendor"  # spelled apart, so that this file does not match itself
    sources = [p for p in PROJECT.rglob("*.py") if ".venv" not in p.parts and p != Path(__file__)]
    found = [str(p.relative_to(PROJECT)) for p in sources if asking in p.read_text()]
    allowed = ("accounts/stores/", "users/stores/", "users/migrations/", "paytm_site/settings.py")
    assert found and all(path.startswith(allowed) for path in found), found
