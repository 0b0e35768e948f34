"""Plain SQL for the few hot single-row reads (on PostgreSQL) where compiling the ORM query
costs more CPU than the database spends running it. See docs/PERFORMANCE.md."""

from django.db import connection


def fetch_one(sql: str, params: list) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
