"""Turn DATABASE_URL into Django's DATABASES entry, with each backend's own tuning.

For a mongodb:// URL, also what django-mongodb-backend documents for a project: ObjectId
primary keys, contrib apps configured for them (core/mongodb_apps.py, console/apps.py) and
migrations generated for MongoDB (mongo_migrations/). SQLite and PostgreSQL never see any of it."""

from urllib.parse import urlsplit, urlunsplit

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

POSTGRESQL_ENGINE = "django.db.backends.postgresql"
POSTGRESQL_SCHEMES = {"postgres", "postgresql", "pgsql"}
REPLICA_ALIAS_PREFIX = "replica_"  # core/replicas.py knows replicas by it
REPLICA_CONNECT_TIMEOUT = 2  # seconds
# Connections a worker process's pool (DATABASE_POOL) may open: its threads share them.
POOL_MAX_SIZE = 8

# SQLite: WAL lets readers run beside the one writer; IMMEDIATE takes the write lock
# when a transaction starts, so two transfers never both read a balance and then race
# to upgrade their locks (which SQLite answers with "database is locked" mid-transaction).
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def database_from_url(
    url: str,
    *,
    conn_max_age: int,
    health_checks: bool = False,
    connect_timeout: int = 5,
    pool: bool = False,
    pgbouncer: bool = False,
    setting: str = "DATABASE_URL",
) -> dict:
    """`health_checks` makes Django test a reused connection with a round trip before each
    request. Off by default: it cost about a tenth of a transfer's throughput, and without
    it a connection the server dropped fails one request with a 503 (nothing changed) and
    is then replaced, because Django discards a connection that raised.

    PostgreSQL only: `pool` uses Django's own psycopg pool (each worker process keeps one;
    then connections are not also kept per thread: CONN_MAX_AGE 0). `pgbouncer`: behind
    PgBouncer in transaction mode, where a server connection serves another client after
    every transaction, nothing may outlive a transaction on it: no named prepared statements
    (PgBouncer 1.18 cannot keep them) and no server-side cursors (statements then stream
    in chunks of fetched rows instead)."""
    if is_mongodb_url(url):
        return mongodb_database(url)
    try:
        config = dj_database_url.parse(hosts_in_query(url), conn_max_age=conn_max_age, conn_health_checks=health_checks)
    except ValueError as error:
        raise ImproperlyConfigured(f"{setting} is not usable: {error}") from None
    engine = config["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
        # One connection per thread is cheap for SQLite; reuse would only pin file handles.
        config["CONN_MAX_AGE"] = 0
    elif engine == "django.db.backends.postgresql":
        options = config.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", connect_timeout)
        # Parameters bound by the server, and statements run 5 times on a connection
        # prepared, so PostgreSQL stops parsing and planning the same few queries on every
        # request (transfer: 1.25 -> 0.7 ms of database CPU). Behind PgBouncer in
        # transaction mode this needs PgBouncer 1.21+ (max_prepared_statements).
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", None if pgbouncer else 5)
        if pgbouncer:
            config["DISABLE_SERVER_SIDE_CURSORS"] = True
        if pool:
            options["pool"] = {"min_size": 1, "max_size": POOL_MAX_SIZE, "timeout": 10}
            config["CONN_MAX_AGE"] = 0
    elif pool or pgbouncer:
        raise ImproperlyConfigured("DATABASE_POOL and DATABASE_PGBOUNCER apply to PostgreSQL only")
    return config


def hosts_in_query(url: str) -> str:
    """postgres://u:p@h1:5432,h2:5433/db?target_session_attrs=read-write, the form libpq
    documents for several hosts (a primary and its standby), as dj-database-url can read it:
    the hosts and ports moved into the query, which libpq takes as the same lists. After a
    failover, a new connection finds the new primary itself (target_session_attrs)."""
    parts = urlsplit(url)
    credentials, at, hosts = parts.netloc.rpartition("@")
    if "," not in hosts or parts.scheme.lower() not in POSTGRESQL_SCHEMES:
        return url
    names, ports = [], []
    for host in hosts.split(","):
        if host.startswith("["):  # [::1]:5432
            name, _, port = host[1:].partition("]")
            port = port.removeprefix(":")
        else:
            name, _, port = host.partition(":")
        names.append(name)
        ports.append(port or "5432")
    query = "&".join(filter(None, [parts.query, f"host={','.join(names)}", f"port={','.join(ports)}"]))
    return urlunsplit(parts._replace(netloc=f"{credentials}{at}", query=query))


def replica_databases(
    urls: list[str], *, primary: dict, conn_max_age: int, pool: bool = False, pgbouncer: bool = False
) -> dict[str, dict]:
    """DATABASE_REPLICA_URLS as DATABASES entries "replica_1", "replica_2"… (core/replicas.py
    sends reads there). PostgreSQL hot standbys of a PostgreSQL primary only: anything else is
    refused at start-up rather than read from by surprise.

    Tuned as the primary (prepared statements, connection reuse, `pool`, `pgbouncer`), and
    besides:
    - a reused connection is tested before each request (one round trip; in a pool, before
      it is handed out): a standby restarts more often than a primary, and a connection it
      dropped would otherwise fail a read and leave the replica unused for a retry interval;
    - a short connect timeout: a replica that cannot be reached costs a request at most this,
      after which it is skipped for a while;
    - TEST MIRROR: the test runner makes no database for a replica, which reads the primary's."""
    if urls and primary.get("ENGINE") != POSTGRESQL_ENGINE:
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL (replicas stream from it)")
    replicas = {}
    for number, url in enumerate(urls, start=1):
        scheme = url.split(":", 1)[0].lower()
        if scheme not in POSTGRESQL_SCHEMES:
            # Never the URL itself: it may carry a password.
            raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS: URL {number} is not PostgreSQL ({scheme}://)")
        config = database_from_url(
            url,
            conn_max_age=conn_max_age,
            health_checks=True,
            connect_timeout=REPLICA_CONNECT_TIMEOUT,
            pool=pool,
            pgbouncer=pgbouncer,
            setting="DATABASE_REPLICA_URLS",
        )
        if pool:  # never waited for longer than a connection may take (Django tests each one handed out)
            config["OPTIONS"]["pool"]["timeout"] = REPLICA_CONNECT_TIMEOUT
        config["TEST"] = {"MIRROR": "default"}
        replicas[f"{REPLICA_ALIAS_PREFIX}{number}"] = config
    return replicas


def is_mongodb_url(url: str) -> bool:
    return url.split(":", 1)[0].lower() in {"mongodb", "mongodb+srv"}


def mongodb_database(url: str) -> dict:
    """The connection string goes to HOST as the backend documents; the database name is
    the URL's path (mongodb://host/wallet?replicaSet=rs0), "wallet" when it has none."""
    name = urlsplit(url).path.lstrip("/") or MONGODB_DEFAULT_NAME
    return {"ENGINE": "django_mongodb_backend", "HOST": url, "NAME": name}


def mongodb_installed_apps(apps: list[str]) -> list[str]:
    return [MONGODB_APP_CONFIGS.get(app, app) for app in apps]
