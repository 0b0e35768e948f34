"""Turn DATABASE_URL into Django's DATABASES entry, with each backend's own tuning."""

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from paytm_site.mongodb import is_mongodb_url, mongodb_database

# SQLite: WAL lets readers run beside the one writer; IMMEDIATE takes the write lock
# when a transaction starts, so two transfers never both read a balance and then race
# to upgrade their locks (which SQLite answers with "database is locked" mid-transaction).
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def database_from_url(url: str, *, conn_max_age: int) -> dict:
    if is_mongodb_url(url):
        return mongodb_database(url)
    try:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not usable: {error}") from None
    engine = config["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
        # One connection per thread is cheap for SQLite; reuse would only pin file handles.
        config["CONN_MAX_AGE"] = 0
    elif engine == "django.db.backends.postgresql":
        options = config.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", 5)
        options.setdefault("server_side_binding", True)
    return config
