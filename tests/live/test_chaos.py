"""Faults in the middle of a storm of concurrent transfers (`make chaos`).

- kill -9 of every server process on PostgreSQL, then a restart;
- a private PostgreSQL stopped (immediate shutdown) and started again under load.
Afterwards: every transfer a client saw acknowledged is in the ledger, `verify_ledger`
is clean, and retrying each request whose outcome the client never learned, with its
Idempotency-Key, moves its money exactly once."""

import contextlib
import glob
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.live.conftest import THREADS, WORKERS, free_port, serve_wallet, wait_until_healthy

pytestmark = [pytest.mark.live_server, pytest.mark.chaos]
CLIENT_TIMEOUT = 10.0
# Each 503 discards one dead connection; at worst every server thread held one.
UNKNOWN_OUTCOME_TRIES = WORKERS * THREADS + 1


@dataclass
class Attempt:
    key: str
    token: str
    body: dict
    status: int | None = None
    transfer_id: str | None = None
    message: str | None = None
    error: str | None = None
    seconds: float = 0.0


class Storm:
    """Threads sending ₹0.01–₹1.00 transfers between random people until stopped."""

    def __init__(self, server, people, threads=8):
        self.server, self.people, self.threads = server, people, threads
        self.attempts: list[Attempt] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.workers = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def __enter__(self):
        for worker in self.workers:
            worker.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for worker in self.workers:
            worker.join(timeout=CLIENT_TIMEOUT * 2)

    def acknowledged(self, since: int = 0) -> int:
        with self.lock:
            return sum(1 for a in self.attempts[since:] if a.status == 200)

    def answered(self, status: int, since: int = 0) -> int:
        with self.lock:
            return sum(1 for a in self.attempts[since:] if a.status == status)

    def wait_until(self, condition, what: str, timeout: float = 60) -> None:
        """Poll `condition()` until it holds; fail with `what` if it never does."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"the storm never reached: {what}")
            time.sleep(0.05)

    def run(self):
        rng = random.Random()
        with httpx.Client(base_url=self.server.base_url, timeout=CLIENT_TIMEOUT) as client:
            deadline = time.monotonic() + 120
            while not self.stopping.is_set() and time.monotonic() < deadline:
                sender, recipient = rng.sample(self.people, 2)
                attempt = Attempt(
                    key=uuid.uuid4().hex,
                    token=sender["token"],
                    body={"to": recipient["userId"], "amount": f"{rng.randint(1, 100) / 100:.2f}"},
                )
                send(client, attempt)
                with self.lock:
                    self.attempts.append(attempt)
                if attempt.error:
                    time.sleep(0.05)  # the server is down: do not spin


def send(client: httpx.Client, attempt: Attempt) -> None:
    started = time.monotonic()
    try:
        response = client.post(
            "/api/v1/account/transfer",
            json=attempt.body,
            headers={"Authorization": f"Bearer {attempt.token}", "Idempotency-Key": attempt.key},
        )
        attempt.status = response.status_code
        payload = response.json()
        attempt.transfer_id, attempt.message = payload.get("transferId"), payload.get("message")
    except (httpx.TransportError, ValueError) as error:
        attempt.error = type(error).__name__
    attempt.seconds = time.monotonic() - started


def stored_transfers(database_url: str) -> set[str]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        return {str(row[0]) for row in conn.execute("SELECT public_id FROM accounts_transfer WHERE kind = 'transfer'")}


def settle_unknown_outcomes(server, attempts: list[Attempt]) -> list[Attempt]:
    """Retry, with the same key and body, every request whose outcome the client never
    learned (no response, or 503): the server must replay or perform it, once. A 503 means
    "nothing changed, retry", as a client reads it: a thread whose kept connection died in
    the outage answers its first request 503 and then reconnects, so each request is tried
    until its outcome is known."""
    unknown = [a for a in attempts if a.status in (None, 503)]
    retried = []
    with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT) as client:
        for attempt in unknown:
            for _ in range(UNKNOWN_OUTCOME_TRIES):
                again = Attempt(key=attempt.key, token=attempt.token, body=attempt.body)
                send(client, again)
                if again.status not in (None, 503):
                    break
                time.sleep(0.1)
            retried.append(again)
    return retried


def assert_ledger_whole(server, acknowledged: set[str]) -> None:
    stored = stored_transfers(server.database_url)
    assert acknowledged <= stored, f"acknowledged but missing: {acknowledged - stored}"
    result = server.manage("verify_ledger")
    assert result.returncode == 0, result.stdout + result.stderr


def assert_each_key_moved_money_at_most_once(server) -> None:
    with psycopg.connect(server.database_url.replace("postgres://", "postgresql://", 1)) as conn:
        duplicates = conn.execute(
            "SELECT user_id, key, count(*) FROM accounts_idempotencyrecord GROUP BY user_id, key HAVING count(*) > 1"
        ).fetchall()
        orphans = conn.execute(
            "SELECT count(*) FROM accounts_transfer t WHERE t.kind = 'transfer' AND NOT EXISTS "
            "(SELECT 1 FROM accounts_idempotencyrecord r WHERE r.transfer_id = t.id)"
        ).fetchone()[0]
    assert duplicates == []
    assert orphans == 0  # every transfer belongs to exactly one client key


def test_kill_9_in_the_middle_of_a_transfer_storm(tmp_path):
    with serve_wallet("postgres", tmp_path) as server:
        people = [server.signup(f"Crash{i}") for i in range(8)]
        with Storm(server, people) as storm:
            storm.wait_until(lambda: storm.acknowledged() >= 20, "20 acknowledged transfers before the kill")
            server.kill()
            storm.wait_until(lambda: any(a.error for a in list(storm.attempts)), "a request cut off by the kill")
        before_restart = list(storm.attempts)
        server.start()

        acknowledged = {a.transfer_id for a in before_restart if a.status == 200}
        assert len(acknowledged) >= 20, "the storm did not get going before the kill"
        assert not [a for a in before_restart if a.status is not None and a.status >= 500 and a.status != 503]
        assert any(a.error for a in before_restart), "the kill did not interrupt any request"
        assert_ledger_whole(server, acknowledged)

        retried = settle_unknown_outcomes(server, before_restart)
        assert all(a.status in (200, 400) for a in retried), [(a.status, a.message, a.error) for a in retried]
        acknowledged |= {a.transfer_id for a in retried if a.status == 200}
        assert_ledger_whole(server, acknowledged)
        assert_each_key_moved_money_at_most_once(server)


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of this test's own (initdb in a temporary folder, its own
    port), so stopping it never touches the shared server."""

    datadir: Path
    port: int
    bindir: Path

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/wallet"

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.datadir}"
        self._run("pg_ctl", "-D", str(self.datadir), "-o", options, "-l", str(self.datadir / "log"), "-w", "start")

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "stop")


@pytest.fixture
def private_postgres():
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdbs:
        if os.environ.get("CI") == "true":
            pytest.fail("initdb not found: the database-loss test needs PostgreSQL's server binaries in CI")
        pytest.skip("initdb not found")
    root = Path(tempfile.mkdtemp(prefix="wallet-pg-", dir="/tmp"))
    os.chmod(root, 0o755)
    server = PrivatePostgres(datadir=root / "data", port=free_port(), bindir=Path(initdbs[-1]).parent)
    server.datadir.mkdir(mode=0o700)
    if os.geteuid() == 0:
        shutil.chown(server.datadir, "postgres", "postgres")
    server._run("initdb", "-D", str(server.datadir), "-A", "trust", "-U", "postgres", "--no-sync")
    server.start()
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{server.port}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE wallet")
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_database_stopped_in_the_middle_of_a_storm(private_postgres, tmp_path):
    with serve_wallet("postgres", tmp_path, database_url=private_postgres.url) as server:
        people = [server.signup(f"Outage{i}") for i in range(6)]
        with Storm(server, people) as storm:
            storm.wait_until(lambda: storm.acknowledged() >= 20, "20 acknowledged transfers before the outage")
            private_postgres.stop("immediate")
            outage_started = len(storm.attempts)
            storm.wait_until(lambda: storm.answered(503, since=outage_started) >= 5, "5 requests answered 503")
            private_postgres.start()
            wait_until_healthy(server.base_url, timeout=60)
            recovered_at = len(storm.attempts)
            storm.wait_until(lambda: storm.acknowledged(since=recovered_at) >= 5, "5 transfers after the restart")
        attempts = list(storm.attempts)

        during = attempts[outage_started:recovered_at]
        after = attempts[recovered_at:]
        statuses = {a.status for a in attempts}
        assert statuses <= {200, 400, 503}, (
            statuses,
            [a.error for a in attempts if a.error][:5],
        )  # never a 500, never a hang
        assert not [a for a in attempts if a.error], [a.error for a in attempts if a.error][:5]
        assert max(a.seconds for a in attempts) < CLIENT_TIMEOUT
        unavailable = [a for a in during if a.status == 503]
        assert unavailable, "no request saw the outage"
        assert all(a.message for a in unavailable)
        assert any(a.status == 200 for a in after), "service did not resume by itself"

        acknowledged = {a.transfer_id for a in attempts if a.status == 200}
        assert_ledger_whole(server, acknowledged)
        retried = settle_unknown_outcomes(server, attempts)
        assert all(a.status in (200, 400) for a in retried), [(a.status, a.message) for a in retried]
        acknowledged |= {a.transfer_id for a in retried if a.status == 200}
        assert_ledger_whole(server, acknowledged)
        assert_each_key_moved_money_at_most_once(server)
