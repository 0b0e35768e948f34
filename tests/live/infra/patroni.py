"""A PostgreSQL 15 cluster of the tests' own under Patroni: one etcd member and two nodes,
each a Patroni process managing its own data directory, with a synchronous standby, all on
private ports and folders, configured by the shipped deploy/patroni/patroni.yml and
deploy/patroni/etcd.env (what differs per node comes from the environment, as in
production).

    with patroni_cluster() as cluster:
        cluster.leader(), cluster.sync_standby()
        cluster.kill_node(name)      # kill -9 of that node's Patroni and PostgreSQL
        cluster.restart_node(name)   # rejoins as a standby (pg_rewind)
        cluster.wait_replicated()
        cluster.dsn()                # postgres://...@h:p1,h:p2/wallet?target_session_attrs=read-write

Patroni and PostgreSQL run as the `postgres` user when the tests run as root. Everything
is stopped and removed at the end, even when the block fails."""

import contextlib
import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.live.infra.processes import (
    ManagedProcess,
    as_postgres,
    free_port,
    missing,
    postgres_owned,
    private_dir,
    require_binary,
    wait_for,
)

PROJECT = Path(__file__).resolve().parents[3]
PATRONI_CONFIG = PROJECT / "deploy" / "patroni" / "patroni.yml"
ETCD_ENVIRONMENT = PROJECT / "deploy" / "patroni" / "etcd.env"
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
SOCKET_DIR = Path("/var/run/postgresql")  # unix_socket_directories in patroni.yml
DATABASE = "wallet"


def read_environment_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (systemd's EnvironmentFile format, without quoting), comments skipped."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def base_environment() -> dict[str, str]:
    """A clean environment: none of the caller's PG* or PATRONI_* variables leak in."""
    return {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "LANG": "C.UTF-8"}


def http_json(url: str, timeout: float = 2) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def pid_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def postmaster_pid(data_dir: Path) -> int | None:
    """The running postmaster of `data_dir`, from its postmaster.pid (None when there is none)."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    return pid if b"postgres" in cmdline and pid_alive(pid) else None


def living_in_group(group: int) -> list[int]:
    """The processes (zombies aside) whose process group is `group`."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[2]) == group:
                members.append(int(stat.parent.name))
    return members


def kill_process_group_of(pid: int) -> None:
    """kill -9 the process group `pid` is in (never the tests' own group)."""
    with contextlib.suppress(ProcessLookupError):
        group = os.getpgid(pid)
        if group != os.getpgrp():
            os.killpg(group, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)


@dataclass
class Etcd:
    process: ManagedProcess
    client_port: int

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    def healthy(self) -> bool:
        return http_json(f"http://{self.endpoint}/health").get("health") == "true"


@contextlib.contextmanager
def etcd_member(root: Path) -> Iterator[Etcd]:
    """A single etcd member, configured by deploy/patroni/etcd.env with private values."""
    binary = require_binary("etcd", "etcd-server")
    client, peer = free_port(), free_port()
    overrides = {
        "ETCD_NAME": "etcd1",
        "ETCD_DATA_DIR": str(root / "etcd"),
        "ETCD_LISTEN_CLIENT_URLS": f"http://127.0.0.1:{client}",
        "ETCD_ADVERTISE_CLIENT_URLS": f"http://127.0.0.1:{client}",
        "ETCD_LISTEN_PEER_URLS": f"http://127.0.0.1:{peer}",
        "ETCD_INITIAL_ADVERTISE_PEER_URLS": f"http://127.0.0.1:{peer}",
        "ETCD_INITIAL_CLUSTER": f"etcd1=http://127.0.0.1:{peer}",
        "ETCD_INITIAL_CLUSTER_TOKEN": f"wallet-test-{secrets.token_hex(4)}",
    }
    env = {**base_environment(), **read_environment_file(ETCD_ENVIRONMENT), **overrides}
    leftover = [key for key, value in env.items() if "CHANGE-ME" in value]
    assert not leftover, f"etcd.env placeholders not overridden: {leftover}"
    process = ManagedProcess([binary], log=root / "etcd.log", env=env)
    etcd = Etcd(process=process, client_port=client)
    try:
        wait_for(lambda: etcd.healthy() or not process.running(), "etcd answers /health", timeout=30)
        if not process.running():
            raise RuntimeError(f"etcd exited:\n{process.tail()}")
        yield etcd
    finally:
        process.stop()


@dataclass
class PatroniNode:
    name: str
    pg_port: int
    api_port: int
    home: Path  # owned by postgres: the data directory and the pgpass file are inside
    log: Path
    env: dict = field(repr=False)
    process: ManagedProcess | None = field(default=None, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def running(self) -> bool:
        return self.process is not None and self.process.running()

    def status(self) -> dict:
        """Patroni's view of this node (GET /patroni): role, state, timeline, xlog..."""
        return http_json(f"{self.api}/patroni")


class PatroniCluster:
    def __init__(self, root: Path, etcd: Etcd, names: list[str]):
        self.root, self.etcd = root, etcd
        self.passwords = {user: secrets.token_hex(12) for user in ("superuser", "replication", "rewind")}
        self.patroni = require_binary("patroni", "patroni")
        self.nodes: dict[str, PatroniNode] = {}
        for name in names:
            node = PatroniNode(
                name=name,
                pg_port=free_port(),
                api_port=free_port(),
                home=postgres_owned(root / name),
                log=root / f"{name}.patroni.log",
                env={},
            )
            node.env = self._environment(node)
            self.nodes[name] = node

    def _environment(self, node: PatroniNode) -> dict[str, str]:
        return {
            **base_environment(),
            "PATRONI_NAME": node.name,
            "PATRONI_RESTAPI_LISTEN": f"127.0.0.1:{node.api_port}",
            "PATRONI_RESTAPI_CONNECT_ADDRESS": f"127.0.0.1:{node.api_port}",
            "PATRONI_POSTGRESQL_LISTEN": f"127.0.0.1:{node.pg_port}",
            "PATRONI_POSTGRESQL_CONNECT_ADDRESS": f"127.0.0.1:{node.pg_port}",
            "PATRONI_POSTGRESQL_DATA_DIR": str(node.data_dir),
            "PATRONI_POSTGRESQL_PGPASS": str(node.home / "pgpass"),
            "PATRONI_POSTGRESQL_BIN_DIR": str(POSTGRES_BIN),
            "PATRONI_ETCD3_HOSTS": self.etcd.endpoint,
            "PATRONI_SUPERUSER_PASSWORD": self.passwords["superuser"],
            "PATRONI_REPLICATION_PASSWORD": self.passwords["replication"],
            "PATRONI_REWIND_PASSWORD": self.passwords["rewind"],
        }

    # --- URLs ---------------------------------------------------------------------------

    def dsn(self, database: str = DATABASE) -> str:
        """Every node, libpq picking the one that takes writes (the leader)."""
        hosts = ",".join(f"127.0.0.1:{node.pg_port}" for node in self.nodes.values())
        return f"postgres://postgres:{self.passwords['superuser']}@{hosts}/{database}?target_session_attrs=read-write"

    def app_database_url(self, database: str = DATABASE) -> str:
        """The same, in the form the app's DATABASE_URL parser (dj-database-url) accepts: it
        rejects several host:port pairs, but passes host/port lists in the query to libpq."""
        hosts = ",".join("127.0.0.1" for _ in self.nodes)
        ports = ",".join(str(node.pg_port) for node in self.nodes.values())
        return (
            f"postgres://postgres:{self.passwords['superuser']}@/{database}"
            f"?host={hosts}&port={ports}&target_session_attrs=read-write"
        )

    def node_dsn(self, name: str, database: str = DATABASE) -> str:
        node = self.nodes[name]
        return f"postgres://postgres:{self.passwords['superuser']}@127.0.0.1:{node.pg_port}/{database}"

    def sql(self, name: str, statement: str, params=(), database: str = DATABASE) -> list:
        """Run one statement (autocommit) on node `name`; the rows it returns, if any."""
        with psycopg.connect(self.node_dsn(name, database), autocommit=True, connect_timeout=3) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    # --- state ----------------------------------------------------------------------------

    def members(self) -> list[dict]:
        """The cluster as etcd says it is (GET /cluster of the first running node that answers)."""
        for node in self.nodes.values():
            if node.running():
                with contextlib.suppress(OSError, ValueError):
                    return http_json(f"{node.api}/cluster")["members"]
        return []

    def _with_role(self, *roles: str) -> str | None:
        for member in self.members():
            if member["role"] in roles and member.get("state") in ("running", "streaming"):
                return member["name"]
        return None

    def leader(self) -> str | None:
        """The node holding the leader key with its PostgreSQL running, if any."""
        return self._with_role("leader")

    def sync_standby(self) -> str | None:
        """The node named synchronous standby in etcd, if any."""
        return self._with_role("sync_standby")

    def replicas(self) -> list[str]:
        leader = self.leader()
        return [name for name, node in self.nodes.items() if node.running() and name != leader]

    def replication(self) -> list[tuple]:
        """pg_stat_replication on the leader: (application_name, state, sync_state, replay_lsn)."""
        return self.sql(
            self.leader(),
            "SELECT application_name, state, sync_state, replay_lsn::text FROM pg_stat_replication",
            database="postgres",
        )

    def synchronously_replicated(self) -> str | None:
        """The standby the leader's pg_stat_replication shows streaming with sync_state = 'sync'."""
        for name, state, sync_state, _ in self.replication():
            if state == "streaming" and sync_state == "sync":
                return name
        return None

    def wait_ready(self, timeout: float = 120) -> tuple[str, str]:
        """Until there is a leader and a synchronous standby streaming from it."""

        def ready():
            leader, standby = self.leader(), self.sync_standby()
            if leader and standby and self.synchronously_replicated() == standby:
                return leader, standby
            return None

        return wait_for(ready, "a leader and a synchronous standby", timeout=timeout, interval=0.25)

    def wait_replicated(self, timeout: float = 60) -> dict[str, str]:
        """Until every running replica has replayed all the WAL the leader had written when
        this was called; the replay LSN of each (and the leader's LSN under its name)."""
        leader = self.leader()
        target = self.sql(leader, "SELECT pg_current_wal_lsn()::text", database="postgres")[0][0]
        reached = {leader: target}
        for name in self.replicas():

            def caught_up(name=name):
                rows = self.sql(
                    name,
                    "SELECT pg_last_wal_replay_lsn()::text, pg_last_wal_replay_lsn() >= %s::pg_lsn",
                    (target,),
                    database="postgres",
                )
                return rows[0][0] if rows[0][1] else None

            reached[name] = wait_for(caught_up, f"{name} replays up to {target}", timeout=timeout, interval=0.2)
        return reached

    # --- faults ---------------------------------------------------------------------------

    def start_node(self, name: str) -> None:
        node = self.nodes[name]
        assert not node.running(), f"{name} is already running"
        node.process = ManagedProcess(as_postgres([self.patroni, str(PATRONI_CONFIG)]), log=node.log, env=node.env)

    def kill_node(self, name: str) -> float:
        """kill -9 of the whole node at once, as a machine that dies: its Patroni (the process
        group ManagedProcess made) and its PostgreSQL, whose postmaster Patroni starts in a
        session of its own (so found by postmaster.pid, and its group killed with it).
        Returns the time.monotonic() at which both were sent SIGKILL; returns once both are gone."""
        node = self.nodes[name]
        postmaster = postmaster_pid(node.data_dir)
        assert postmaster, f"{name} has no running postmaster to kill"
        groups = {node.process.pid, os.getpgid(postmaster)}
        node.process.signal_group(signal.SIGKILL)
        kill_process_group_of(postmaster)
        killed_at = time.monotonic()
        node.process.popen.wait(timeout=15)
        for group in groups:  # Patroni, and the postmaster with every backend
            wait_for(lambda group=group: not living_in_group(group), f"{name}'s process group {group} is gone", 15)
        return killed_at

    def restart_node(self, name: str, timeout: float = 120) -> None:
        """Start a stopped node's Patroni again and wait until it is a replica streaming from
        the leader (a former primary is rewound with pg_rewind first)."""
        stale = postmaster_pid(self.nodes[name].data_dir)
        assert stale is None, f"{name}'s postmaster {stale} is still running"
        self.start_node(name)

        def rejoined():
            member = next((m for m in self.members() if m["name"] == name), None)
            if not member or member["role"] not in ("replica", "sync_standby"):
                return False
            return any(app == name and state == "streaming" for app, state, _, _ in self.replication())

        try:
            wait_for(rejoined, f"{name} rejoins as a streaming replica", timeout=timeout, interval=0.5)
        except TimeoutError as error:
            raise TimeoutError(f"{error}\n{self.nodes[name].process.tail()}") from None

    def stop(self) -> None:
        """Stop every node (Patroni stops its PostgreSQL), then kill whatever is left."""
        for node in self.nodes.values():
            if node.process is not None:
                node.process.signal_group(signal.SIGTERM)
        for node in self.nodes.values():
            if node.process is not None:
                node.process.stop(timeout=20)
        for node in self.nodes.values():
            postmaster = postmaster_pid(node.data_dir)
            if postmaster:
                kill_process_group_of(postmaster)
                with contextlib.suppress(TimeoutError):
                    wait_for(lambda pid=postmaster: not pid_alive(pid), "postmaster gone", timeout=15)

    def remove_stale_sockets(self) -> None:
        """A killed postmaster leaves its socket and lock file in the shared socket folder
        (the next start on that port would clear them; these ports are never reused)."""
        for node in self.nodes.values():
            lock = SOCKET_DIR / f".s.PGSQL.{node.pg_port}.lock"
            with contextlib.suppress(OSError, ValueError, IndexError):
                pid, data_dir = lock.read_text().splitlines()[:2]
                if Path(data_dir) == node.data_dir and not pid_alive(int(pid)):
                    (SOCKET_DIR / f".s.PGSQL.{node.pg_port}").unlink(missing_ok=True)
                    lock.unlink()

    def logs(self, lines: int = 30) -> str:
        return "\n".join(
            f"--- {name} ---\n{node.process.tail(lines) if node.process else ''}" for name, node in self.nodes.items()
        )


def check_watchdog_is_safe() -> None:
    """patroni.yml asks for the watchdog when there is one: kill -9 of a Patroni holding
    /dev/watchdog would reboot the machine. Refuse to run where postgres could open it."""
    if Path("/dev/watchdog").exists():
        opened = subprocess.run(as_postgres(["test", "-w", "/dev/watchdog"]), check=False)
        if opened.returncode == 0:
            missing("/dev/watchdog is writable by postgres: killing Patroni would reboot this machine")


@contextlib.contextmanager
def patroni_cluster(names: tuple[str, ...] = ("pg1", "pg2"), timeout: float = 180) -> Iterator[PatroniCluster]:
    """etcd and a Patroni node per name; the first bootstraps the cluster (and the `wallet`
    database), the others clone it. Yields once there is a leader and a synchronous standby."""
    require_binary("patroni", "patroni")
    require_binary("etcd", "etcd-server")
    if not (POSTGRES_BIN / "postgres").exists():
        missing(f"{POSTGRES_BIN}/postgres not found (Debian package postgresql-15)")
    check_watchdog_is_safe()
    if not SOCKET_DIR.is_dir():
        postgres_owned(SOCKET_DIR, 0o2775)
    with private_dir("wallet-patroni-") as root, etcd_member(root) as etcd:
        cluster = PatroniCluster(root, etcd, list(names))
        try:
            first, *others = names
            cluster.start_node(first)
            wait_for(lambda: cluster.leader() == first, f"{first} bootstraps and leads", timeout=timeout, interval=0.5)
            cluster.sql(first, f'CREATE DATABASE "{DATABASE}"', database="postgres")
            for name in others:
                cluster.start_node(name)
            cluster.wait_ready(timeout=timeout)
            yield cluster
        except BaseException:
            print(f"\npatroni cluster logs:\n{cluster.logs()}")
            raise
        finally:
            cluster.stop()
            cluster.remove_stale_sockets()
