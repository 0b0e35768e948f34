"""A real wallet server (as `make serve` runs it: granian, several worker processes and threads)
database, for tests that need real concurrency: real sockets, real processes, real locks."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
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
    workdir: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    def sql(self, statement: str, params=()) -> list:
        """Run one statement on this server's PostgreSQL database; the rows it returns, if any."""
        with psycopg.connect(self.database_url.replace("postgres://", "postgresql://", 1)) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def manage(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=PROJECT, env=self.env, capture_output=True, text=True, timeout=300
        )

    def client(self, token: str | None = None, timeout: float = 60) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def signup(self, first_name: str) -> dict:
        email = f"{first_name.lower()}-{uuid.uuid4().hex[:10]}@example.com"
        body = {"username": email, "firstName": first_name, "lastName": "Live", "password": "correct horse battery"}
        with self.client() as client:
            response = client.post("/api/v1/user/signup", json=body)
        response.raise_for_status()
        return response.json()

    def operator(self, *roles: str, superuser: bool = False) -> "OperatorSession":
        """A new operator with these roles, signed in to the console over HTTP."""
        email = f"ops-{uuid.uuid4().hex[:10]}@example.com"
        args = ["create_operator", email, *(f"--role={role}" for role in roles)]
        made = subprocess.run(
            [sys.executable, "manage.py", *args, *(["--superuser"] if superuser else [])],
            cwd=PROJECT,
            env={**self.env, "OPERATOR_PASSWORD": OPERATOR_PASSWORD},
            capture_output=True,
            text=True,
        )
        assert made.returncode == 0, made.stderr
        return OperatorSession.sign_in(self.base_url, email)

    def start(self) -> None:
        port = self.base_url.rsplit(":", 1)[1]
        with open(self.workdir / "server.log", "a") as log:  # the server keeps its own copy
            # As `make serve` runs it (paytm_site/serve.py: granian unless APP_SERVER says
            # gunicorn; JSON logs, metrics summed across workers), its sizes from the environment.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "paytm_site.serve"],
                cwd=PROJECT,
                env={
                    "HOST": "127.0.0.1",
                    "PORT": port,
                    "WEB_CONCURRENCY": str(WORKERS),
                    "WEB_THREADS": str(THREADS),
                    "GUNICORN_TIMEOUT": "60",
                    **self.env,
                },
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so kill() reaches every worker
            )
        wait_until_healthy(self.base_url, self.process)

    def kill(self) -> None:
        """kill -9 the master and every worker at once: no graceful anything."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)


OPERATOR_PASSWORD = "operator password for tests"


@dataclass
class OperatorSession:
    """An operator signed in to /admin/ with a session cookie, posting forms with the CSRF token."""

    client: httpx.Client
    email: str

    @classmethod
    def sign_in(cls, base_url: str, email: str) -> "OperatorSession":
        client = httpx.Client(base_url=base_url, timeout=60)
        client.get("/admin/login/")
        form = {"username": email, "password": OPERATOR_PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"]}
        signed_in = client.post("/admin/login/?next=/admin/", data=form)
        assert signed_in.status_code == 302, signed_in.text[:500]
        return cls(client=client, email=email)

    def post(self, path: str, form: dict | None = None) -> httpx.Response:
        return self.client.post(path, data={**(form or {}), "csrfmiddlewaretoken": self.client.cookies["csrftoken"]})

    def admin_path_of(self, public_id: str) -> str:
        """The console path of a person, transfer or adjustment, found by its public id:
        `/admin/<app>/<model>/<pk>/`, to which its actions are relative."""
        found = self.client.get("/admin/find/", params={"q": public_id})
        assert found.status_code == 302 and found.headers["Location"].endswith("/change/"), found.text[:300]
        return found.headers["Location"].removesuffix("change/")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def require_shared_postgres() -> str:
    server = postgres_server_url()
    if not postgres_reachable(server):
        message = f"PostgreSQL at {server} is unreachable"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: in CI the live PostgreSQL tests must run.")
        pytest.skip(message)
    return server


def _create_postgres_database() -> tuple[str, str]:
    server = require_shared_postgres()
    name = f"wallet_live_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_url(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"{server.rsplit('/', 1)[0]}/{name}"


def _drop_postgres_database(name: str) -> None:
    with psycopg.connect(_admin_url(postgres_server_url()), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _create_mongodb_database() -> tuple[str, str]:
    """A fresh database on the MongoDB replica set named by MONGODB_URI."""
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        pytest.skip(
            "MONGODB_URI is not set: no MongoDB server can be installed on these machines. "
            "Start a single-node replica set and set MONGODB_URI to run these (see README)."
        )
    from urllib.parse import urlsplit, urlunsplit

    name = f"wallet_live_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(uri)
    return name, urlunsplit(parts._replace(path=f"/{name}"))


def _drop_mongodb_database(name: str) -> None:
    import pymongo

    with pymongo.MongoClient(os.environ["MONGODB_URI"], serverSelectionTimeoutMS=5000) as client:
        client.drop_database(name)


@contextmanager
def serve_wallet(backend: str, workdir: Path, extra_env: dict | None = None, database_url: str | None = None):
    """Migrate a fresh database of `backend` (or the one at `database_url`) and serve it
    as `make serve` does (granian) until the block ends."""
    pg_name = mongo_name = None
    if database_url is None and backend == "postgres":
        pg_name, database_url = _create_postgres_database()
    elif database_url is None and backend == "mongodb":
        mongo_name, database_url = _create_mongodb_database()
    elif database_url is None:
        database_url = f"sqlite:///{workdir / 'wallet.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AUTH_THROTTLE_RATE": "off",
        "MONEY_REQUEST_RATE": "off",
        "DEBUG": "0",
        "LOCAL_SECRETS_FILE": str(workdir / "secrets.json"),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    wallet = LiveWallet(base_url=f"http://127.0.0.1:{free_port()}", env=env, backend=backend, workdir=workdir)
    migrated = wallet.manage("migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    try:
        wallet.start()
        yield wallet
    finally:
        wallet.stop()
        if pg_name:
            _drop_postgres_database(pg_name)
        if mongo_name:
            _drop_mongodb_database(mongo_name)


@contextmanager
def behind_pgbouncer(workdir: Path, extra_env: dict | None = None):
    """The server on a private PostgreSQL reached through PgBouncer in transaction mode (the
    shipped deploy/pgbouncer/pgbouncer.ini), as DATABASE_PGBOUNCER=true runs it."""
    from tests.live.infra.pgbouncer import pgbouncer
    from tests.live.infra.postgres import private_postgres

    with private_postgres(databases=("wallet",)) as database, pgbouncer(database, ["wallet"]) as bouncer:
        env = {"DATABASE_PGBOUNCER": "true", **(extra_env or {})}
        with serve_wallet("postgres", workdir, extra_env=env, database_url=bouncer.url("wallet")) as wallet:
            yield wallet


# Where the contract and the races run: PostgreSQL directly, through Django's own connection
# pool (DATABASE_POOL), through PgBouncer, SQLite, and MongoDB when MONGODB_URI names one.
LIVE_BACKENDS = ["postgres", "postgres-pool", "pgbouncer", "sqlite", "mongodb"]


@pytest.fixture(scope="module", params=LIVE_BACKENDS)
def live_wallet(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"live-{request.param}")
    if request.param == "pgbouncer":
        serving = behind_pgbouncer(workdir)
    elif request.param == "postgres-pool":
        serving = serve_wallet("postgres", workdir, extra_env={"DATABASE_POOL": "true"})
    else:
        serving = serve_wallet(request.param, workdir)
    with serving as wallet:
        yield wallet


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    from tests.live.browser import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def web_wallet(tmp_path_factory):
    with serve_wallet("sqlite", tmp_path_factory.mktemp("web")) as wallet:
        yield wallet


def wait_until_healthy(base_url: str, server: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"server exited early with {server.returncode}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become healthy in time")
