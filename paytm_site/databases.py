"""Turn DATABASE_URL into Django's DATABASES entry, with each backend's own tuning.

For a mongodb:// URL, also what django-mongodb-backend documents for a project: ObjectId
primary keys, contrib apps configured for them (core/mongodb_apps.py, console/apps.py) and
migrations generated for MongoDB (mongo_migrations/). SQLite and PostgreSQL never see any of it."""

from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

OBJECT_ID_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
MONGODB_DEFAULT_NAME = "wallet"
MONGODB_APP_CONFIGS = {
    "console.apps.OperationsAdminConfig": "console.apps.MongoOperationsAdminConfig",
    "django.contrib.auth": "core.mongodb_apps.MongoAuthConfig",
    "django.contrib.contenttypes": "core.mongodb_apps.MongoContentTypesConfig",
}
MONGODB_MIGRATION_MODULES = {
    "admin": "mongo_migrations.admin",
    "auth": "mongo_migrations.auth",
    "contenttypes": "mongo_migrations.contenttypes",
    "users": "mongo_migrations.users",
    "accounts": "mongo_migrations.accounts",
}

# SQLite: WAL lets readers run beside the one writer; IMMEDIATE takes the write lock
# when a transaction starts, so two transfers never both read a balance and then race
# to upgrade their locks (which SQLite answers with "database is locked" mid-transaction).
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def database_from_url(url: str, *, conn_max_age: int, health_checks: bool = False) -> dict:
    """`health_checks` makes Django test a reused connection with a round trip before each
    request. Off by default: it cost about a tenth of a transfer's throughput, and without
    it a connection the server dropped fails one request with a 503 (nothing changed) and
    is then replaced, because Django discards a connection that raised."""
    if is_mongodb_url(url):
        return mongodb_database(url)
    try:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=health_checks)
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
        # Parameters bound by the server, and statements run 5 times on a connection
        # prepared, so PostgreSQL stops parsing and planning the same few queries on every
        # request (transfer: 1.25 -> 0.7 ms of database CPU). Behind PgBouncer in
        # transaction mode this needs PgBouncer 1.21+ (max_prepared_statements).
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 5)
    return config


def is_mongodb_url(url: str) -> bool:
    return url.split(":", 1)[0].lower() in {"mongodb", "mongodb+srv"}


def mongodb_database(url: str) -> dict:
    """The connection string goes to HOST as the backend documents; the database name is
    the URL's path (mongodb://host/wallet?replicaSet=rs0), "wallet" when it has none."""
    name = urlsplit(url).path.lstrip("/") or MONGODB_DEFAULT_NAME
    return {"ENGINE": "django_mongodb_backend", "HOST": url, "NAME": name}


def mongodb_installed_apps(apps: list[str]) -> list[str]:
    return [MONGODB_APP_CONFIGS.get(app, app) for app in apps]
