"""PgBouncer in front of a test's own PostgreSQL, run from the shipped
deploy/pgbouncer/pgbouncer.ini (transaction pooling), on a free port:

    with private_postgres(databases=("wallet",)) as db, pgbouncer(db, ["wallet"]) as bouncer:
        serve_wallet("postgres", tmp_path, database_url=bouncer.url("wallet"))
        bouncer.show("POOLS")

Clients authenticate with SCRAM against an auth_file holding a SCRAM secret (what
production stores), with a password made up for the run and carried in `url()`.

The admin console (database `pgbouncer`) speaks the simple query protocol only and knows
no transactions. psycopg 3 uses the simple protocol by itself for a query without
parameters, in text format, not prepared and not in a pipeline, so
`conn.execute("SHOW POOLS", prepare=False)` on an autocommit connection works. Parameters,
`binary=True` or `prepare=True` get "extended query protocol not supported by admin
console"; without autocommit, psycopg's implicit BEGIN gets "invalid command 'BEGIN'"."""

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from tests.live.infra.postgres import PostgresServer, conninfo
from tests.live.infra.processes import (
    ManagedProcess,
    free_port,
    postgres_owned,
    private_dir,
    require_binary,
)
from tests.live.infra.rendering import DEPLOY, render

TEMPLATE = DEPLOY / "pgbouncer" / "pgbouncer.ini"
USER = "postgres"


def scram_secret(password: str, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 secret of `password` as PostgreSQL stores it in pg_authid (RFC
    5802/7677), which is what an auth_file holds in production."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


@dataclass
class PgBouncer:
    port: int
    password: str
    upstream: PostgresServer
    root: Path
    process: ManagedProcess
    user: str = USER

    @property
    def logfile(self) -> Path:
        return self.root / "pgbouncer" / "pgbouncer.log"

    def url(self, db: str) -> str:
        """The URL the app's DATABASE_URL takes to go through PgBouncer."""
        return f"postgres://{self.user}:{self.password}@127.0.0.1:{self.port}/{db}"

    def connect(self, db: str, **options) -> psycopg.Connection:
        """A client connection through PgBouncer. Autocommit, and never a server-side
        prepared statement (the next transaction may run on another server connection)."""
        options = {"autocommit": True, "connect_timeout": 5, "prepare_threshold": None, **options}
        return psycopg.connect(conninfo(self.url(db)), **options)

    def console(self, command: str) -> list[dict]:
        """Run one admin console command (SHOW …, PAUSE, RESUME, RELOAD, RECONNECT…);
        its rows as dicts, if any."""
        with (
            psycopg.connect(conninfo(self.url("pgbouncer")), autocommit=True, connect_timeout=5) as conn,
            conn.cursor(row_factory=dict_row) as cursor,
        ):
            cursor.execute(command, prepare=False)  # no parameters: the simple query protocol
            return cursor.fetchall() if cursor.description else []

    def show(self, command: str) -> list[dict]:
        """`show("POOLS")` or `show("SHOW STATS")`: the rows of a SHOW command."""
        command = command.strip()
        if not command.upper().startswith("SHOW "):
            command = f"SHOW {command}"
        return self.console(command)

    def pool(self, db: str) -> dict:
        """This user's pool for `db` (SHOW POOLS): cl_active, cl_waiting, sv_active, sv_idle…"""
        pools = [row for row in self.show("POOLS") if row["database"] == db and row["user"] == self.user]
        if not pools:
            raise LookupError(f"no pool for {db!r} yet (a pool appears with its first client)")
        return pools[0]

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return self.process.tail(lines)


@contextlib.contextmanager
def pgbouncer(upstream: PostgresServer, databases: list[str], *, timeout: float = 30) -> Iterator[PgBouncer]:
    """PgBouncer (as the `postgres` user: it refuses to run as root) pooling `databases`
    of `upstream`, accepting connections when yielded and stopped at the end."""
    binary = require_binary("pgbouncer", "pgbouncer")
    with private_dir("wallet-pgbouncer-") as root:
        folder = postgres_owned(root / "pgbouncer", 0o700)  # config, secrets, socket, log
        password = secrets.token_urlsafe(18)
        auth_file = folder / "userlist.txt"
        auth_file.write_text(f'"{USER}" "{scram_secret(password)}"\n')
        port = free_port()
        config = render(
            TEMPLATE,
            folder / "pgbouncer.ini",
            database=list(databases),
            upstream_host="127.0.0.1",
            upstream_port=upstream.port,
            listen_addr="127.0.0.1",
            listen_port=port,
            unix_socket_dir=folder,
            auth_file=auth_file,
            admin_users=USER,
            logfile=folder / "pgbouncer.log",
            pidfile=folder / "pgbouncer.pid",
        )
        for path in (auth_file, config):
            postgres_owned_file(path)
        # In the foreground (no -d), in its own process group: stop() ends it for sure.
        # As root, `-u postgres` makes PgBouncer switch user itself (it refuses to run as
        # root): under runuser, stop() would wait 2 s for runuser's own SIGTERM handling.
        as_user = ["-u", USER] if os.geteuid() == 0 else []
        process = ManagedProcess([binary, *as_user, str(config)], log=root / "stdout.log")
        bouncer = PgBouncer(port=port, password=password, upstream=upstream, root=root, process=process)
        try:
            wait_accepting(bouncer, timeout)
            yield bouncer
        finally:
            process.stop()  # SIGTERM: immediate shutdown in 1.18


def postgres_owned_file(path: Path) -> None:
    """Readable by PgBouncer running as `postgres`, by nobody else (it holds a secret)."""
    os.chmod(path, 0o600)
    if os.geteuid() == 0:
        shutil.chown(path, USER, USER)


def wait_accepting(bouncer: PgBouncer, timeout: float) -> None:
    """Until the admin console answers; fail at once, with its log, if PgBouncer exits."""
    deadline = time.monotonic() + timeout
    while True:
        if not bouncer.process.running():
            raise RuntimeError(f"pgbouncer exited with {bouncer.process.popen.returncode}:\n{bouncer.log_tail()}")
        with contextlib.suppress(psycopg.Error):
            if bouncer.show("VERSION"):
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"pgbouncer not accepting connections within {timeout:.0f} s:\n{bouncer.log_tail()}")
        time.sleep(0.1)
