"""The people store of the database in use: the one place in `users` that asks which database it is."""

from django.db import connection as default_connection

from users.stores.base import PeopleStore
from users.stores.mongo import MongoPeopleStore
from users.stores.postgres import PostgresPeopleStore
from users.stores.sql import OrmPeopleStore


def people_store(connection=None) -> PeopleStore:
    connection = connection or default_connection
    if connection.vendor == "postgresql":
        return PostgresPeopleStore()
    if connection.vendor == "mongodb":
        return MongoPeopleStore(connection=connection)
    return OrmPeopleStore()
