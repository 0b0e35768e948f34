"""The high-availability parts, proven on real processes with the shipped configuration
(deploy/patroni, deploy/haproxy):

(a) two PostgreSQL 15 nodes under Patroni (etcd) form a cluster whose standby is
    synchronous: a commit does not return until the standby has it;
(b) kill -9 of the leader's whole node (Patroni and PostgreSQL) under a loop of writes:
    the standby is promoted without anyone, writes stop for at most 15 s, every commit
    that was acknowledged is on the new leader, the lone new leader goes on taking writes,
    and the old leader, started again, rejoins as a standby and catches up;
(c) HAProxy in front of two app servers: kill -9 of one's process group, and within 5 s
    everything goes to the other."""

import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

import httpx
import psycopg
import pytest

from tests.live.infra.haproxy import haproxy_in_front_of
from tests.live.infra.patroni import patroni_cluster
from tests.live.infra.processes import ManagedProcess, free_port, wait_for

pytestmark = [pytest.mark.live_server, pytest.mark.chaos]

WRITE_GAP_LIMIT = 15.0  # seconds without a successful commit when the leader's node dies
PROXY_FAILOVER_LIMIT = 5.0  # seconds until HAProxy sends everything to the surviving app server


@pytest.fixture(scope="module")
def cluster():
    with patroni_cluster() as cluster:
        cluster.sql(cluster.leader(), "CREATE TABLE ha_probe (id bigint PRIMARY KEY, at timestamptz DEFAULT now())")
        yield cluster


def test_the_cluster_forms_with_a_synchronous_standby(cluster):
    leader, standby = cluster.wait_ready()
    assert leader != standby
    assert [(name, state, sync) for name, state, sync, _ in cluster.replication()] == [(standby, "streaming", "sync")]
    standby_names = cluster.sql(leader, "SHOW synchronous_standby_names")[0][0]
    assert standby in standby_names
    assert cluster.sql(leader, "SHOW synchronous_commit")[0][0] == "on"
    assert cluster.sql(standby, "SELECT pg_is_in_recovery()")[0][0] is True

    # A commit waits for the standby: with its WAL receiver paused, the commit does not
    # return; once it resumes (and flushes), it does.
    receiver = cluster.sql(standby, "SELECT pid FROM pg_stat_wal_receiver")[0][0]
    committed = threading.Event()

    def commit():
        with psycopg.connect(cluster.dsn(), connect_timeout=2) as conn:
            conn.execute("INSERT INTO ha_probe (id) VALUES (-1)")
            conn.commit()
        committed.set()

    os.kill(receiver, signal.SIGSTOP)
    try:
        writer = threading.Thread(target=commit, daemon=True)
        writer.start()
        held = not committed.wait(timeout=2.0)
    finally:
        os.kill(receiver, signal.SIGCONT)
    assert held, "the commit returned while the synchronous standby could not have it"
    assert committed.wait(timeout=15), "the commit never returned once the standby was back"
    assert cluster.sql(standby, "SELECT count(*) FROM ha_probe WHERE id = -1")[0][0] == 1
    print(f"\n[ha] cluster: leader {leader}, synchronous standby {standby} ({standby_names!r})")


@dataclass
class Writes:
    """A loop of writes, each on a new connection to the multi-host URL (libpq picks the
    node that takes writes): INSERT, COMMIT; a commit that returned is acknowledged."""

    dsn: str
    acknowledged: list[tuple[int, float]] = field(default_factory=list)
    failures: list[tuple[int, float, str]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        number, deadline = 0, time.monotonic() + 240
        while not self.stopping.is_set() and time.monotonic() < deadline:
            number += 1
            try:
                with psycopg.connect(self.dsn, connect_timeout=2) as conn:
                    conn.execute("INSERT INTO ha_probe (id) VALUES (%s)", (number,))
                    conn.commit()
                self.acknowledged.append((number, time.monotonic()))
            except psycopg.Error as error:
                self.failures.append((number, time.monotonic(), type(error).__name__))
                time.sleep(0.05)

    def acknowledged_since(self, moment: float) -> int:
        return sum(1 for _, at in list(self.acknowledged) if at > moment)

    def resumed_after(self, moment: float) -> float | None:
        """Seconds from `moment` to the first commit after the first failure that followed
        it (a commit already on its way at `moment` does not count as a resumption)."""
        failed = [number for number, at, _ in list(self.failures) if at > moment]
        resumed = [at for number, at in list(self.acknowledged) if failed and number > failed[0]]
        return resumed[0] - moment if resumed else None

    def longest_gap(self) -> float:
        times = [at for _, at in self.acknowledged]
        return max((b - a for a, b in zip(times, times[1:], strict=False)), default=0.0)


def test_killing_the_leader_node_loses_no_acknowledged_commit(cluster):
    old_leader, standby = cluster.wait_ready()
    writes = Writes(cluster.dsn())
    writer = threading.Thread(target=writes.run, daemon=True)
    writer.start()
    try:
        wait_for(lambda: len(writes.acknowledged) >= 50, "50 acknowledged writes before the kill", timeout=60)
        assert cluster.synchronously_replicated() == standby
        killed_at = cluster.kill_node(old_leader)
        new_leader = wait_for(
            lambda: (leader := cluster.leader()) != old_leader and leader, "a new leader", timeout=60, interval=0.05
        )
        promoted_after = time.monotonic() - killed_at
        resumed_after = wait_for(lambda: writes.resumed_after(killed_at), "a write on the new leader", timeout=60)
        # The lone new leader (its standby is dead) goes on accepting writes.
        wait_for(lambda: writes.acknowledged_since(killed_at) >= 30, "30 writes on the lone leader", timeout=60)
    finally:
        writes.stopping.set()
        writer.join(timeout=30)
    assert not writer.is_alive(), "the write loop hung"

    assert new_leader == standby, "the promoted node was not the synchronous standby"
    acknowledged = {number for number, _ in writes.acknowledged}
    stored = {row[0] for row in cluster.sql(new_leader, "SELECT id FROM ha_probe WHERE id > 0")}
    lost = acknowledged - stored
    assert not lost, f"{len(lost)} acknowledged commits missing on the new leader: {sorted(lost)[:20]}"
    gap = writes.longest_gap()
    lone_standby_names = cluster.sql(new_leader, "SHOW synchronous_standby_names")[0][0]
    print(
        f"\n[ha] kill -9 of leader node {old_leader}: {new_leader} promoted after {promoted_after:.2f} s, "
        f"first write after {resumed_after:.2f} s, longest gap between commits {gap:.2f} s "
        f"(limit {WRITE_GAP_LIMIT:.0f} s); {len(acknowledged)} acknowledged, all on the new leader; "
        f"{len(writes.failures)} failed attempts; lone leader's synchronous_standby_names={lone_standby_names!r}"
    )
    assert gap <= WRITE_GAP_LIMIT

    # The old leader comes back as a standby (pg_rewind when its WAL went past the
    # promotion point), catches up, and is the synchronous standby again.
    started = time.monotonic()
    cluster.restart_node(old_leader)
    rejoined_after = time.monotonic() - started
    reached = cluster.wait_replicated()
    assert cluster.sql(old_leader, "SELECT pg_is_in_recovery()")[0][0] is True
    on_old = {row[0] for row in cluster.sql(old_leader, "SELECT id FROM ha_probe WHERE id > 0")}
    assert acknowledged <= on_old
    leader, sync_standby = cluster.wait_ready(timeout=60)
    assert (leader, sync_standby) == (new_leader, old_leader)
    log = cluster.nodes[old_leader].log.read_text(errors="replace")
    rewound = "running pg_rewind from" in log and "pg_rewind exit code=0" in log
    print(
        f"[ha] {old_leader} rejoined as a replica after {rejoined_after:.2f} s "
        f"({'with' if rewound else 'without'} pg_rewind), replay LSN {reached[old_leader]} >= "
        f"leader's {reached[new_leader]}; synchronous standby again"
    )


BACKEND_SCRIPT = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

name, port = sys.argv[1], int(sys.argv[2])

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = (b'{"status": "ok"}' if self.path == "/healthz" else name.encode())
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


def test_haproxy_sends_everything_to_the_surviving_app_server(tmp_path):
    ports = {"app1": free_port(), "app2": free_port()}
    backends = {
        name: ManagedProcess(
            [sys.executable, "-c", BACKEND_SCRIPT, name, str(port)], log=tmp_path / f"{name}.log"
        )  # each in a process group of its own
        for name, port in ports.items()
    }
    try:
        with haproxy_in_front_of([f"127.0.0.1:{port}" for port in ports.values()], tmp_path) as proxy:
            wait_for(lambda: set(proxy.server_states().values()) == {"UP"}, "both app servers UP", timeout=30)
            results: list[tuple[float, int | None, str]] = []
            stopping = threading.Event()

            def requests():
                with httpx.Client(base_url=proxy.url, timeout=2) as client:
                    deadline = time.monotonic() + 60
                    while not stopping.is_set() and time.monotonic() < deadline:
                        try:
                            response = client.get("/")
                            results.append((time.monotonic(), response.status_code, response.text))
                        except httpx.HTTPError as error:
                            results.append((time.monotonic(), None, type(error).__name__))
                        time.sleep(0.01)

            client = threading.Thread(target=requests, daemon=True)
            client.start()
            try:
                wait_for(lambda: {text for _, _, text in results} >= {"app1", "app2"}, "both serve", timeout=15)
                killed_at = time.monotonic()
                backends["app1"].kill()  # kill -9 of its whole process group
                wait_for(lambda: proxy.server_states()["app1"].startswith("DOWN"), "app1 DOWN", interval=0.05)
                down_after = time.monotonic() - killed_at
                time.sleep(3)  # everything must now go to app2
            finally:
                stopping.set()
                client.join(timeout=10)
    finally:
        for backend in backends.values():
            backend.stop()

    after = [(at, status, text) for at, status, text in results if at > killed_at]
    failed = [(at - killed_at, status, text) for at, status, text in after if status != 200]
    in_flight = [at - killed_at for at, status, text in after if status == 200 and text == "app1"]
    window = max((at for at, _, _ in failed), default=0.0)  # after it, every request succeeds
    settled = [r for r in after if r[0] > killed_at + down_after]
    print(
        f"\n[ha] kill -9 of app1: marked DOWN after {down_after:.2f} s (limit {PROXY_FAILOVER_LIMIT:.0f} s); "
        f"{len(after)} requests after the kill, {len(failed)} failed (last {window:.2f} s after the kill), "
        f"{len(in_flight)} answered by app1 as it died, the rest by app2"
    )
    assert down_after <= PROXY_FAILOVER_LIMIT
    assert window <= PROXY_FAILOVER_LIMIT, failed[:10]
    assert len(settled) >= 50 and all(status == 200 and text == "app2" for _, status, text in settled)
