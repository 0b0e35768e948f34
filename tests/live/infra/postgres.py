"""PostgreSQL servers of a test's own: a primary made with initdb in a private folder, and
hot standbys streaming from it (pg_basebackup -R -X stream), each on a free port, so a
test may stop, kill -9, pause or promote them without ever touching the shared server.

    with private_postgres() as primary, streaming_replica(primary) as replica:
        primary.sql("CREATE TABLE t (x int)")
        replica.wait_caught_up(primary)

Every server gets a unique `cluster_name` (`wallet-test-<name>-<port>`): its processes
show as `postgres: wallet-test-…: …` in `ps`, which is how `kill9()` finds every one of
them, and how a leftover is told apart from the shared server at a glance."""

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from tests.live.infra.processes import (
    as_postgres,
    free_port,
    postgres_owned,
    private_dir,
    require_binary,
    wait_for,
)

# Ready for streaming replication and quick to start: appended to every primary's
# postgresql.conf, which pg_basebackup copies to its replicas.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "wal_level": "replica",
    "max_wal_senders": "10",
    "max_replication_slots": "10",
    "hot_standby": "on",
    "hot_standby_feedback": "on",  # queries on a replica are not cancelled by vacuum on the primary
    "wal_receiver_status_interval": "'1s'",  # pg_stat_replication on the primary stays current
    "wal_retrieve_retry_interval": "'1s'",  # a replica reconnects 1 s (not 5 s) after its primary restarts
    "max_connections": "100",
    "shared_buffers": "'32MB'",  # several servers on a small machine
    # Safe against kill -9 (what the tests do: the OS keeps every write), not against a
    # machine crash (which no test does); saves the fsyncs that dominate small commits.
    "fsync": "off",
    "timezone": "'UTC'",
    "log_line_prefix": "'%m [%p] %q%a '",
}

PG_HBA = """\
# Written by tests/live/infra/postgres.py: trust on loopback only, for clients and replicas.
local   all             all                             trust
host    all             all             127.0.0.1/32    trust
local   replication     all                             trust
host    replication     all             127.0.0.1/32    trust
"""


def postgres_bindir() -> Path:
    """The folder of PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup): where
    initdb really is, as a link to it on PATH may come without its siblings."""
    return Path(require_binary("initdb", "postgresql")).resolve().parent


def conninfo(url: str) -> str:
    """psycopg wants `postgresql://`; Django's settings and the app take `postgres://`."""
    return url.replace("postgres://", "postgresql://", 1)


class PostgresError(RuntimeError):
    """A PostgreSQL tool failed; the message carries its output and the server log's tail."""


def _process_state(pid: int) -> str | None:
    """The state letter of `pid` (R, S, Z…), None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _alive(pid: int) -> bool:
    """Running, that is neither gone nor a zombie nobody has reaped yet (PID 1 here reaps
    slowly, and a zombie postmaster would still hold postmaster.pid's PID)."""
    return _process_state(pid) not in (None, "Z")


def _processes_titled(prefix: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith(prefix) and _alive(int(entry.name)):
                found.append(int(entry.name))
    return found


@dataclass
class PostgresServer:
    """One PostgreSQL cluster in `root` (data, socket and log folders inside it) on `port`."""

    root: Path
    port: int
    name: str = "primary"
    bindir: Path = field(default_factory=postgres_bindir)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def logfile(self) -> Path:
        return self.root / "log" / "postgres.log"

    @property
    def cluster_name(self) -> str:
        return f"wallet-test-{self.name}-{self.port}"

    def url(self, dbname: str = "postgres") -> str:
        """The URL the app's DATABASE_URL takes."""
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    # --- tools -----------------------------------------------------------------------

    def tool(self, name: str, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        """Run one of PostgreSQL's programs as the `postgres` user."""
        command = as_postgres([str(self.bindir / name), *args])
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise PostgresError(f"{name} {' '.join(args)}: no answer in {timeout:.0f} s\n{self.log_tail()}") from error
        if check and done.returncode != 0:
            raise PostgresError(
                f"{name} {' '.join(args)} exited {done.returncode}\n{done.stdout}{done.stderr}\n"
                f"--- {self.logfile} ---\n{self.log_tail()}"
            )
        return done

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def make_folders(self) -> None:
        postgres_owned(self.datadir, 0o700)  # PostgreSQL refuses a data folder others may read
        postgres_owned(self.socket_dir, 0o755)
        postgres_owned(self.logfile.parent, 0o755)

    def initdb(self, settings: dict[str, str] | None = None) -> None:
        """A new cluster: trust authentication, superuser `postgres`, UTF-8 (as the shared
        server), no fsync of the new files (they are thrown away at the end)."""
        self.make_folders()
        self.tool(
            "initdb", "-D", str(self.datadir), "-A", "trust", "-U", "postgres", "--no-sync",
            "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        lines = [f"{key} = {value}" for key, value in {**SETTINGS, **(settings or {})}.items()]
        with open(self.datadir / "postgresql.conf", "a") as conf:
            conf.write("\n# Added by tests/live/infra/postgres.py\n" + "\n".join(lines) + "\n")
        (self.datadir / "pg_hba.conf").write_text(PG_HBA)

    # --- life cycle --------------------------------------------------------------------

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.datadir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def running(self) -> bool:
        pid = self.postmaster_pid()
        return pid is not None and _alive(pid)

    def start(self, timeout: float = 60) -> None:
        """Start and wait until it accepts connections (a replica: read-only ones)."""
        pid = self.postmaster_pid()
        if pid is not None and not _alive(pid):
            # Lock files left by kill -9. PostgreSQL would take a zombie nobody has reaped
            # yet for a live postmaster and refuse to start; the folders are this server's.
            for lock in [self.datadir / "postmaster.pid", *self.socket_dir.glob(".s.PGSQL.*")]:
                lock.unlink(missing_ok=True)
        # Port, socket folder and name on the command line, not in postgresql.conf, which
        # a replica copies from its primary.
        options = f"-p {self.port} -k {self.socket_dir} -c cluster_name={self.cluster_name}"
        self.tool(
            "pg_ctl", "-D", str(self.datadir), "-o", options, "-l", str(self.logfile), "-w", "-t", str(int(timeout)),
            "start", timeout=timeout + 10,
        )  # fmt: skip
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60) -> None:
        wait_for(lambda: self.sql("SELECT 1"), f"{self.cluster_name} accepts connections", timeout=timeout)

    def stop(self, mode: str = "fast", timeout: float = 60) -> None:
        """pg_ctl stop: `smart` waits for clients, `fast` disconnects them, `immediate`
        skips the shutdown checkpoint (the next start recovers, as after a crash)."""
        if not self.running():
            return
        self.tool("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "-t", str(int(timeout)), "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def kill9(self, timeout: float = 15) -> None:
        """SIGKILL to the postmaster and every one of its processes at once: a crash.

        Each child of the postmaster leads its own process group (PostgreSQL does that
        so the postmaster can signal a child's group), so a group kill would miss them;
        they are found by their titles, which carry this server's cluster_name."""
        title = f"postgres: {self.cluster_name}: "
        deadline = time.monotonic() + timeout
        while True:
            postmaster = self.postmaster_pid()
            victims = ([postmaster] if postmaster is not None and _alive(postmaster) else []) + _processes_titled(title)
            if not victims:
                return
            for pid in victims:  # the postmaster first, so it cannot start new children
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                raise PostgresError(f"{self.cluster_name}: processes {victims} survived SIGKILL")
            time.sleep(0.05)

    def shutdown(self) -> None:
        """Stop whatever state it is in, never raising: the end of every context manager."""
        with contextlib.suppress(Exception):
            self.stop("fast", timeout=30)
        with contextlib.suppress(Exception):
            self.kill9()  # whatever a failed stop left

    # --- SQL ---------------------------------------------------------------------------

    def connect(self, db: str = "postgres", **options) -> psycopg.Connection:
        """A psycopg connection, autocommit unless told otherwise (so CREATE DATABASE works)."""
        options = {"autocommit": True, "connect_timeout": 5, **options}
        return psycopg.connect(conninfo(self.url(db)), **options)

    def sql(self, statement, params=(), db: str = "postgres") -> list[tuple]:
        """Run one statement on its own connection; the rows it returns, if any."""
        with self.connect(db) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def value(self, statement, params=(), db: str = "postgres"):
        """The single value a one-row, one-column query returns."""
        rows = self.sql(statement, params, db)
        return rows[0][0] if rows else None

    def create_database(self, name: str) -> str:
        """A new database; its URL."""
        self.sql(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
        return self.url(name)

    def configure(self, **settings: str) -> None:
        """ALTER SYSTEM SET each setting and reload (settings needing a restart need one)."""
        for key, value in settings.items():
            self.sql(pgsql.SQL("ALTER SYSTEM SET {} = {}").format(pgsql.Identifier(key), pgsql.Literal(str(value))))
        self.sql("SELECT pg_reload_conf()")

    def in_recovery(self) -> bool:
        return bool(self.value("SELECT pg_is_in_recovery()"))

    def current_lsn(self) -> str:
        """Where the primary's WAL ends now (what a replica must replay to be caught up)."""
        return self.value("SELECT pg_current_wal_lsn()::text")

    def replication(self) -> list[dict]:
        """pg_stat_replication: one row per standby streaming from this server."""
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
            return cursor.execute("SELECT * FROM pg_stat_replication ORDER BY application_name").fetchall()


@dataclass
class StreamingReplica(PostgresServer):
    """A hot standby streaming from `primary` (through the physical slot `slot`, if any)."""

    name: str = "replica"
    primary: PostgresServer | None = None
    slot: str | None = None

    def pause_replay(self, timeout: float = 10) -> None:
        """Stop applying WAL (it still arrives): the replica's data freezes. Returns once
        replay really is paused, not merely asked to pause."""
        self.sql("SELECT pg_wal_replay_pause()")
        wait_for(lambda: self.replay_paused(), f"{self.cluster_name} pauses replay", timeout=timeout)

    def resume_replay(self) -> None:
        self.sql("SELECT pg_wal_replay_resume()")

    def replay_paused(self) -> bool:
        return self.value("SELECT pg_get_wal_replay_pause_state()") == "paused"

    def replay_lsn(self) -> str:
        return self.value("SELECT pg_last_wal_replay_lsn()::text")

    def receive_lsn(self) -> str:
        return self.value("SELECT pg_last_wal_receive_lsn()::text")

    def replay_lag_seconds(self) -> float | None:
        """How far behind the replica's data is: 0 when it has applied everything it
        received, else the age of the last transaction it applied (so it grows while
        replay is paused and the primary commits). None before it applied any."""
        return self.value(
            "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0::float8"
            " ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END"
        )

    def wait_streaming(self, timeout: float = 30) -> None:
        wait_for(
            lambda: self.value("SELECT status FROM pg_stat_wal_receiver") == "streaming",
            f"{self.cluster_name} streams from its primary",
            timeout=timeout,
        )

    def wait_caught_up(self, primary: PostgresServer | None = None, timeout: float = 30) -> None:
        """Wait until the replica has replayed everything the primary had written when
        called (so what the primary committed before is visible here)."""
        primary = primary or self.primary
        target = primary.current_lsn()
        try:
            wait_for(
                lambda: self.value("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)),
                f"{self.cluster_name} replays up to {target}",
                timeout=timeout,
            )
        except TimeoutError as error:
            state = self.value("SELECT pg_get_wal_replay_pause_state()")
            raise TimeoutError(f"{error} (replayed {self.replay_lsn()}, replay {state})") from None

    def promote(self, timeout: float = 60) -> None:
        """End recovery: the replica becomes a primary of its own (what a failover does)."""
        self.tool("pg_ctl", "-D", str(self.datadir), "-w", "-t", str(int(timeout)), "promote", timeout=timeout + 10)
        wait_for(lambda: not self.in_recovery(), f"{self.cluster_name} leaves recovery", timeout=timeout)


@contextlib.contextmanager
def private_postgres(
    prefix: str = "wallet-pg-",
    *,
    name: str = "primary",
    settings: dict[str, str] | None = None,
    databases: tuple[str, ...] = (),
) -> Iterator[PostgresServer]:
    """A started primary of the test's own (with `databases` created), stopped and
    deleted at the end whatever happened."""
    with private_dir(prefix) as root:
        server = PostgresServer(root=root, port=free_port(), name=name)
        try:
            server.initdb(settings)
            server.start()
            for database in databases:
                server.create_database(database)
            yield server
        finally:
            server.shutdown()


def _slot_name(name: str, port: int) -> str:
    return re.sub(r"[^a-z0-9_]", "_", f"{name}_{port}".lower())


@contextlib.contextmanager
def streaming_replica(
    primary: PostgresServer,
    *,
    name: str = "replica",
    prefix: str = "wallet-pg-replica-",
    slot: bool = True,
) -> Iterator[StreamingReplica]:
    """A hot standby of `primary`, streaming before it is yielded; stopped and deleted at
    the end, its replication slot dropped from the primary (or the primary would keep WAL
    for it forever).

    The slot makes the primary keep the WAL the replica has not received yet, so a
    replica stopped for a while catches up instead of failing with "requested WAL
    segment has already been removed"."""
    with private_dir(prefix) as root:
        port = free_port()
        replica = StreamingReplica(
            root=root, port=port, name=name, primary=primary, slot=_slot_name(name, port) if slot else None
        )
        try:
            replica.make_folders()
            # application_name ends up in primary_conninfo: the name pg_stat_replication
            # and synchronous_standby_names know this replica by.
            source = f"host=127.0.0.1 port={primary.port} user=postgres application_name={name}"
            slot_args = ["--create-slot", "--slot", replica.slot] if replica.slot else []
            replica.tool(
                "pg_basebackup", "-d", source, "-D", str(replica.datadir), "-R", "-X", "stream",
                "--checkpoint=fast", "--no-sync", *slot_args,
            )  # fmt: skip
            replica.start()
            replica.wait_streaming()
            yield replica
        finally:
            replica.shutdown()
            if replica.slot:
                _drop_slot(primary, replica.slot)


def _drop_slot(primary: PostgresServer, slot: str) -> None:
    """Drop the slot once its walsender has noticed the replica is gone; quietly give up
    if the primary is down (a test killed it) or was replaced."""
    if not primary.running():
        return
    with contextlib.suppress(Exception):
        wait_for(
            lambda: (
                primary.sql(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                    " WHERE slot_name = %s AND NOT active",
                    (slot,),
                )
                or not primary.value("SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s", (slot,))
            ),
            f"slot {slot} dropped",
            timeout=10,
        )


@contextlib.contextmanager
def primary_with_replicas(
    replicas: int = 1, *, prefix: str = "wallet-pg-", databases: tuple[str, ...] = ()
) -> Iterator[tuple[PostgresServer, list[StreamingReplica]]]:
    """A primary and `replicas` hot standbys (replica1, replica2…), each caught up;
    replicas are stopped before the primary at the end."""
    with contextlib.ExitStack() as stack:
        primary = stack.enter_context(private_postgres(prefix, databases=databases))
        standbys = [
            stack.enter_context(streaming_replica(primary, name=f"replica{number}", prefix=f"{prefix}replica-"))
            for number in range(1, replicas + 1)
        ]
        for standby in standbys:
            standby.wait_caught_up(primary)
        yield primary, standbys
