"""A real wallet server (gunicorn, several worker processes and threads) on its own
database, for tests that need real concurrency: real sockets, real processes, real locks."""

import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.support import postgres_reachable, postgres_server_url

PROJECT = Path(__file__).resolve().parents[2]
WORKERS, THREADS = 4, 4


@dataclass
class LiveWallet:
    base_url: str
    env: dict
    backend: str

    def manage(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=PROJECT, env=self.env, capture_output=True, text=True, timeout=300
        )

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60)

    def signup(self, first_name: str) -> dict:
        email = f"{first_name.lower()}-{uuid.uuid4().hex[:10]}@example.com"
        body = {"username": email, "firstName": first_name, "lastName": "Live", "password": "correct horse battery"}
        with self.client() as client:
            response = client.post("/api/v1/user/signup", json=body)
        response.raise_for_status()
        return response.json()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def _create_postgres_database() -> tuple[str, str]:
    server = postgres_server_url()
    if not postgres_reachable(server):
        message = f"PostgreSQL at {server} is unreachable"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: in CI the live PostgreSQL race tests must run.")
        pytest.skip(message)
    name = f"wallet_live_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_url(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = server.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


def _drop_postgres_database(name: str) -> None:
    with psycopg.connect(_admin_url(postgres_server_url()), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def serve_wallet(backend: str, workdir: Path, extra_env: dict | None = None):
    """Migrate a fresh database of `backend` and serve it with gunicorn until the block ends."""
    pg_name = None
    if backend == "postgres":
        pg_name, database_url = _create_postgres_database()
    else:
        database_url = f"sqlite:///{workdir / 'wallet.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AUTH_THROTTLE_RATE": "off",
        "DEBUG": "0",
        "LOCAL_SECRETS_FILE": str(workdir / "secrets.json"),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    port = _free_port()
    wallet = LiveWallet(base_url=f"http://127.0.0.1:{port}", env=env, backend=backend)
    migrated = wallet.manage("migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    log = open(workdir / "server.log", "w")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "paytm_site.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--threads", str(THREADS),
            "--worker-class", "gthread", "--graceful-timeout", "5", "--timeout", "60",
        ],
        cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_healthy(wallet.base_url, server)
        yield wallet
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if pg_name:
            _drop_postgres_database(pg_name)


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
def live_wallet(request, tmp_path_factory):
    with serve_wallet(request.param, tmp_path_factory.mktemp(f"live-{request.param}")) as wallet:
        yield wallet


@pytest.fixture(scope="module")
def web_wallet(tmp_path_factory):
    with serve_wallet("sqlite", tmp_path_factory.mktemp("web")) as wallet:
        yield wallet


def _wait_until_healthy(base_url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited early with {server.returncode}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become healthy in time")
