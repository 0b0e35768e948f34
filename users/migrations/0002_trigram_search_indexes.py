"""Indexes that let case-insensitive substring search of names (`icontains`, which runs as
UPPER(name) LIKE UPPER('%term%')) use an index instead of reading every row, where the
database has such indexes: trigram indexes on PostgreSQL; other databases have nothing to add.
If the role may not create the pg_trgm extension, search still works, only slower: the
migration says so instead of failing."""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS user_first_name_trgm_idx ON users_user USING gin (UPPER(first_name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS user_last_name_trgm_idx ON users_user USING gin (UPPER(last_name) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS user_first_name_trgm_idx", "DROP INDEX IF EXISTS user_last_name_trgm_idx"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            for statement in CREATE:
                schema_editor.execute(statement)
    except DatabaseError as error:
        logger.warning("trigram search indexes not created (%s); search will scan the table", error)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("users", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
