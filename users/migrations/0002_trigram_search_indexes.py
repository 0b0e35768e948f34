"""Indexes that let case-insensitive substring search of names (`icontains`) use an index
instead of reading every row, where the database has such indexes: trigram indexes on
PostgreSQL (accounts/stores/postgres.py); other databases have nothing to add."""

from django.db import migrations


def create(apps, schema_editor):
    from accounts.stores import ledger_store

    ledger_store(schema_editor.connection).create_search_indexes(schema_editor)


def drop(apps, schema_editor):
    from accounts.stores import ledger_store

    ledger_store(schema_editor.connection).drop_search_indexes(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("users", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
