"""Plain SQL for the few hot reads where compiling an ORM query costs more than running it."""

from django.db import connection


def fetch_one(sql: str, params) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
