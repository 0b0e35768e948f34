"""Read replicas for real (SPEC, "Production operations"; core/replicas.py): a private primary
and a hot standby streaming from it (tests/live/infra/postgres.py), the app served as `make serve` does
with DATABASE_REPLICA_URLS, driven over HTTP only.

Which database served a read is read from the servers' own logs (log_statement = all): the
app's connections carry application_name=wallet-app, so its statements are told apart from
the harness's, and a read is recognised by its table and its bound parameters (the person's
id, the name searched for).

- search, history, statements (API and pages) read the replica;
- read-your-writes with replay paused: a person made since is not found by search, while the
  payer's own history and statement show their transfer at once (and after the pin, the
  replica again);
- money, balances, sign-in, token checks, money requests and verify_ledger never touch it;
- a replica lagging past REPLICA_MAX_LAG_SECONDS, or stopped (pg_ctl stop, kill -9), is
  skipped: every read answers 200 with current data, and it serves again once it is back."""

import contextlib
import os
import random
import re
import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis

from core.replicas import CHECK_EVERY, RETRY_AFTER
from tests.live.conftest import serve_wallet
from tests.live.infra.postgres import PostgresServer, private_postgres, streaming_replica
from tests.live.infra.processes import in_ci, wait_for

pytestmark = [pytest.mark.live_server, pytest.mark.postgres]

APP = "wallet-app"  # application_name of the app's connections
PASSWORD = "correct horse battery"
PIN_SECONDS = 4
IN_A_ROW = 8  # reads in a row: with 4 workers, most likely each of them
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# The tables as any statement names them: the ORM quotes them, the plain SQL of the hot
# paths (search, the person a token names, the one-statement posting) does not.
LEDGER, PEOPLE = "accounts_ledgerentry", "users_user"
SECRET_KEY, JWT_SECRET = secrets.token_urlsafe(50), secrets.token_urlsafe(50)


# -- what the servers' logs say ----------------------------------------------------------------

# log_line_prefix is '%m [%p] %q%a ' (tests/live/infra/postgres.py): time, pid, application.
_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[(\d+)\] (\S*) ?"
    r"(LOG|DETAIL|ERROR|FATAL|STATEMENT|HINT|CONTEXT|WARNING):  ",
    re.MULTILINE,
)


@dataclass
class StatementLog:
    """The statements the app ran on one server, each with its bound parameters."""

    server: PostgresServer

    def mark(self) -> int:
        return self.server.logfile.stat().st_size

    def statements(self, since: int) -> list[str]:
        with open(self.server.logfile, "rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
        found, last_of = [], {}
        matches = list(_RECORD.finditer(text))
        ends = [match.start() for match in matches[1:]] + [len(text)]
        for match, end in zip(matches, ends[: len(matches)], strict=True):
            pid, app, level = match.groups()
            body = text[match.end() : end]
            if app != APP:
                continue
            if level == "LOG" and body.startswith(("statement:", "execute")):
                last_of[pid] = len(found)
                found.append(body)
            elif level == "DETAIL" and pid in last_of:
                found[last_of[pid]] += body  # the parameters of that statement
        return found

    def reads(self, since: int, *needles: str) -> list[str]:
        """The app's statements containing every needle (a table, a 'parameter'), health
        checks left out."""
        return [
            statement
            for statement in self.statements(since)
            if "pg_last_wal_replay_lsn" not in statement and all(needle in statement for needle in needles)
        ]


@dataclass
class Logs:
    primary: StatementLog
    replica: StatementLog

    def mark(self) -> tuple[int, int]:
        return self.primary.mark(), self.replica.mark()


def param(value) -> str:
    """How a bound parameter shows in the log: `$1 = '42'`."""
    return f"'{value}'"


# -- people, over HTTP ---------------------------------------------------------------------------


@dataclass
class Person:
    first_name: str
    email: str
    token: str
    refresh: str
    id: str  # public
    pk: int
    pinned_until: float = field(default=0.0)

    def pinned(self) -> None:
        self.pinned_until = time.monotonic() + PIN_SECONDS


def unique_name(stem: str) -> str:
    return stem + "".join(random.choices(string.ascii_lowercase, k=8))


def sign_up(wallet, primary: PostgresServer, stem: str) -> Person:
    first_name = unique_name(stem)
    email = f"{first_name.lower()}@example.com"
    with wallet.client() as client:
        made = client.post(
            "/api/v1/user/signup",
            json={"username": email, "firstName": first_name, "lastName": "Live", "password": PASSWORD},
        )
    assert made.status_code == 200, made.text
    body = made.json()
    pk = primary.value("SELECT id FROM users_user WHERE public_id = %s", (body["userId"],), db="wallet")
    person = Person(first_name, email, body["token"], body["refresh"], body["userId"], pk)
    person.pinned()  # sign-up pins the newcomer
    return person


def wait_unpinned(*people: Person) -> None:
    time.sleep(max(0.0, max(person.pinned_until for person in people) - time.monotonic() + 0.3))


def search(wallet, caller: Person, name: str) -> list[str]:
    with wallet.client(caller.token) as client:
        found = client.get("/api/v1/user/bulk", params={"filter": name})
    assert found.status_code == 200, found.text
    return [person["_id"] for person in found.json()["users"]]


def history(wallet, person: Person) -> list[str]:
    with wallet.client(person.token) as client:
        answer = client.get("/api/v1/account/transactions")
    assert answer.status_code == 200, answer.text
    return [entry["id"] for entry in answer.json()["transactions"]]


def statement(wallet, person: Person, output: str = "json") -> httpx.Response:
    with wallet.client(person.token) as client:
        answer = client.get("/api/v1/account/statement", params={"format": output})
    assert answer.status_code == 200, answer.text
    return answer


def statement_ids(wallet, person: Person) -> list[str]:
    return [entry["id"] for entry in statement(wallet, person).json()["entries"]]


def replica_serves_in_a_row(wallet, logs: "Logs", caller: Person, sought: Person, *, timeout: float) -> float:
    """Seconds until IN_A_ROW searches in a row (most likely reaching every worker) are read
    from the replica, each finding `sought`."""
    started, in_a_row = time.monotonic(), 0
    while in_a_row < IN_A_ROW:
        mark = logs.replica.mark()
        assert search(wallet, caller, sought.first_name) == [sought.id]
        in_a_row = in_a_row + 1 if logs.replica.reads(mark, PEOPLE, sought.first_name) else 0
        assert time.monotonic() - started < timeout, f"never {IN_A_ROW} reads in a row on the replica"
    return time.monotonic() - started


def transfer(wallet, sender: Person, recipient: Person, amount: str = "1.25") -> str:
    with wallet.client(sender.token) as client:
        sent = client.post("/api/v1/account/transfer", json={"to": recipient.id, "amount": amount})
    assert sent.status_code == 200, sent.text
    sender.pinned()
    return sent.json()["transferId"]


@contextlib.contextmanager
def web_session(wallet, person: Person):
    """A browser's session on the pages (cookies, CSRF), signed in as `person`."""
    with httpx.Client(base_url=wallet.base_url, timeout=60) as client:
        client.get("/signin")
        form = {"email": person.email, "password": PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"]}
        signed_in = client.post("/signin", data=form)
        assert signed_in.status_code == 302, signed_in.text[:300]
        yield client


# -- servers -----------------------------------------------------------------------------------


def app_url(server: PostgresServer) -> str:
    return f"{server.url('wallet')}?application_name={APP}"


def require_redis() -> None:
    """Pins must be seen by every worker: the shared cache."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if in_ci():
            pytest.fail(f"Redis at {REDIS_URL} is unreachable ({error}): in CI this test must run.")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable")


@contextlib.contextmanager
def serve(cluster, workdir: Path, **env: str):
    primary, replica = cluster
    extra = {
        "DATABASE_REPLICA_URLS": app_url(replica),
        "REPLICA_PIN_SECONDS": str(PIN_SECONDS),
        # A paused replica keeps serving unless a test says otherwise: read-your-writes is
        # then the pin's doing, not the lag check's.
        "REPLICA_MAX_LAG_SECONDS": "3600",
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": unique_name("wallet-replicas-"),
        # One set of secrets for every server of this module: a token works on each.
        "SECRET_KEY": SECRET_KEY,
        "JWT_SECRET": JWT_SECRET,
        **env,
    }
    with serve_wallet("postgres", workdir, extra_env=extra, database_url=app_url(primary)) as wallet:
        yield wallet


@pytest.fixture(scope="module")
def cluster():
    require_redis()
    with (
        private_postgres(settings={"log_statement": "'all'"}, databases=("wallet",)) as primary,
        streaming_replica(primary) as replica,
    ):
        yield primary, replica


@pytest.fixture(scope="module")
def logs(cluster) -> Logs:
    primary, replica = cluster
    return Logs(StatementLog(primary), StatementLog(replica))


@pytest.fixture(scope="module")
def wallet(cluster, tmp_path_factory):
    with serve(cluster, tmp_path_factory.mktemp("replicas")) as wallet:
        yield wallet


@pytest.fixture(scope="module")
def people(wallet, cluster) -> dict[str, Person]:
    primary, replica = cluster
    made = {stem.lower(): sign_up(wallet, primary, stem) for stem in ("Asha", "Bilal", "Chandra")}
    replica.wait_caught_up(primary)
    return made


@pytest.fixture
def caught_up(cluster):
    """Every test starts and ends with the replica running, replaying and caught up."""
    primary, replica = cluster
    replica.wait_caught_up(primary)
    yield
    if not replica.running():
        replica.start()
    if replica.replay_paused():
        replica.resume_replay()
    replica.wait_caught_up(primary)


# -- the tests ---------------------------------------------------------------------------------


def test_search_history_and_statements_are_read_from_the_replica(wallet, people, logs, caught_up):
    asha, bilal = people["asha"], people["bilal"]
    wait_unpinned(asha)

    primary_mark, replica_mark = logs.mark()
    assert search(wallet, asha, bilal.first_name) == [bilal.id]
    assert logs.replica.reads(replica_mark, PEOPLE, bilal.first_name)
    assert not logs.primary.reads(primary_mark, PEOPLE, bilal.first_name)

    primary_mark, replica_mark = logs.mark()
    (grant,) = history(wallet, asha)
    assert logs.replica.reads(replica_mark, LEDGER, param(asha.pk))
    assert not logs.primary.reads(primary_mark, LEDGER)

    for output in ("json", "csv"):
        primary_mark, replica_mark = logs.mark()
        answer = statement(wallet, asha, output)
        assert grant in answer.text
        # The entries are streamed from a cursor after the view returned: from the replica too.
        assert logs.replica.reads(replica_mark, LEDGER, "CURSOR", param(asha.pk))
        assert not logs.primary.reads(primary_mark, LEDGER)

    with web_session(wallet, asha) as browser:
        for page in ("/history", f"/dashboard?filter={bilal.first_name}"):
            primary_mark, replica_mark = logs.mark()
            shown = browser.get(page)
            assert shown.status_code == 200
            assert logs.replica.reads(replica_mark, LEDGER, param(asha.pk))
            assert not logs.primary.reads(primary_mark, LEDGER)
        assert bilal.first_name in shown.text
        assert logs.replica.reads(replica_mark, PEOPLE, bilal.first_name)

    with wallet.client() as client:  # counted too, summed over the workers
        figures = client.get("/metrics").text
    counted = re.search(r'^wallet_replica_reads_total\{database="replica_1"\} ([0-9.e+]+)$', figures, re.MULTILINE)
    assert counted and float(counted.group(1)) >= 6


def test_read_your_writes_while_replay_is_paused(wallet, cluster, people, logs, caught_up):
    primary, replica = cluster
    asha, bilal, chandra = people["asha"], people["bilal"], people["chandra"]
    wait_unpinned(asha, bilal, chandra)

    replica.pause_replay()
    dara = sign_up(wallet, primary, "Dara")  # on the primary; the replica does not apply it

    replica_mark = logs.replica.mark()
    assert search(wallet, chandra, dara.first_name) == []  # the replica answered, as it stands
    assert logs.replica.reads(replica_mark, PEOPLE, dara.first_name)

    sent = transfer(wallet, asha, bilal)
    primary_mark, replica_mark = logs.mark()
    assert history(wallet, asha)[0] == sent  # at once: her own reads go to the primary
    assert statement_ids(wallet, asha)[-1] == sent
    assert search(wallet, asha, dara.first_name) == [dara.id]
    assert logs.primary.reads(primary_mark, LEDGER, param(asha.pk))
    assert not logs.replica.reads(replica_mark, LEDGER) and not logs.replica.reads(replica_mark, PEOPLE)

    # The recipient was not the one who moved it: the replica, which has not applied it yet.
    assert sent not in history(wallet, bilal)
    assert logs.replica.reads(replica_mark, LEDGER, param(bilal.pk))

    wait_unpinned(asha)  # the pin is over: her reads are the replica's again
    replica_mark = logs.replica.mark()
    assert sent not in history(wallet, asha)
    assert logs.replica.reads(replica_mark, LEDGER, param(asha.pk))

    replica.resume_replay()
    replica.wait_caught_up(primary)
    assert search(wallet, chandra, dara.first_name) == [dara.id]
    assert history(wallet, bilal)[0] == sent


def test_money_balances_sign_in_tokens_requests_and_verify_ledger_never_touch_the_replica(
    wallet, people, logs, caught_up
):
    asha, bilal = people["asha"], people["bilal"]
    primary_mark, replica_mark = logs.mark()
    with wallet.client() as client:
        signed_in = client.post("/api/v1/user/signin", json={"username": asha.email, "password": PASSWORD})
        assert signed_in.status_code == 200
        refreshed = client.post("/api/v1/user/token/refresh", json={"refresh": signed_in.json()["refresh"]})
        assert refreshed.status_code == 200
    token = refreshed.json()["token"]
    with wallet.client(token) as client:
        assert client.get("/api/v1/user/me").status_code == 200
        assert client.get("/api/v1/account/balance").status_code == 200
        sent = client.post(
            "/api/v1/account/transfer", json={"to": bilal.id, "amount": "2.00"}, headers={"Idempotency-Key": "rr-1"}
        )
        assert sent.status_code == 200
        asked = client.post("/api/v1/account/requests", json={"from": bilal.id, "amount": "3.00", "note": "tea"})
        assert asked.status_code == 200
    with wallet.client(bilal.token) as client:
        assert client.get("/api/v1/account/requests", params={"direction": "incoming"}).status_code == 200
        paid = client.post(f"/api/v1/account/requests/{asked.json()['requestId']}/pay")
        assert paid.status_code == 200
    with web_session(wallet, bilal) as browser:  # a payment through the pages
        assert browser.get("/send", params={"id": asha.id}).status_code == 200
        form = {"amount": "1.50", "idempotency_key": uuid.uuid4().hex, "step": "confirm"}
        form["csrfmiddlewaretoken"] = browser.cookies["csrftoken"]
        paid_on_page = browser.post("/send", params={"id": asha.id}, data=form)  # its redirect is not followed
        assert paid_on_page.status_code == 302 and paid_on_page.headers["Location"] == "/dashboard"
    asha.pinned(), bilal.pinned()
    checked = wallet.manage("verify_ledger")
    assert checked.returncode == 0, checked.stdout + checked.stderr

    assert logs.replica.statements(replica_mark) == []  # not one statement, not one health check
    on_primary = logs.primary.statements(primary_mark)
    moved = param(sent.json()["transferId"])
    assert [s for s in on_primary if "accounts_transfer" in s and moved in s], on_primary[-40:]


def test_a_lagging_replica_is_skipped_and_used_again_when_it_catches_up(cluster, people, logs, caught_up, tmp_path):
    primary, replica = cluster
    bilal, chandra = people["bilal"], people["chandra"]
    limit = 2.0
    with serve(cluster, tmp_path, REPLICA_MAX_LAG_SECONDS=str(limit)) as wallet:
        wait_unpinned(bilal, chandra)
        replica_serves_in_a_row(wallet, logs, chandra, bilal, timeout=CHECK_EVERY + 10)

        sign_up(wallet, primary, "Fresh")  # the last transaction the replica applies: lag starts near 0
        replica.wait_caught_up(primary)
        replica.pause_replay()
        eve = sign_up(wallet, primary, "Eve")
        sent = transfer(wallet, chandra, bilal)
        wait_for(lambda: (replica.replay_lag_seconds() or 0) > limit, f"the replica lags more than {limit} s")
        crossed = time.monotonic()
        # Until each worker's verdict is renewed (CHECK_EVERY), a read may still be the replica's.
        in_a_row = 0
        while in_a_row < IN_A_ROW:
            in_a_row = in_a_row + 1 if search(wallet, bilal, eve.first_name) == [eve.id] else 0
            assert time.monotonic() - crossed < CHECK_EVERY + 10, "reads never left the lagging replica"
        skipped_after = time.monotonic() - crossed
        print(f"\nlag past {limit} s: every read on the primary {skipped_after:.1f} s later")

        replica_mark, primary_mark = logs.replica.mark(), logs.primary.mark()
        for _ in range(8):
            assert search(wallet, bilal, eve.first_name) == [eve.id]
            assert history(wallet, bilal)[0] == sent  # current data, though the replica has not got it
            assert statement_ids(wallet, bilal)[-1] == sent
        assert not logs.replica.reads(replica_mark, PEOPLE) and not logs.replica.reads(replica_mark, LEDGER)
        assert logs.primary.reads(primary_mark, PEOPLE, eve.first_name)
        assert (replica.replay_lag_seconds() or 0) > limit  # it still lags: the check skipped it

        replica.resume_replay()
        replica.wait_caught_up(primary)
        back_after = replica_serves_in_a_row(wallet, logs, bilal, eve, timeout=CHECK_EVERY + 20)
        print(f"caught up: {IN_A_ROW} reads in a row on the replica again {back_after:.1f} s later")


@dataclass
class Storm:
    """Readers reading in a loop (search, history, statements) until stopped; every answer kept."""

    wallet: object
    readers: list
    answers: list = field(default_factory=list)  # (status, seconds, what)
    stopping: threading.Event = field(default_factory=threading.Event)

    def read(self, person: Person, name: str) -> None:
        with self.wallet.client(person.token, timeout=30) as client:
            while not self.stopping.is_set():
                for what, path, params in (
                    ("search", "/api/v1/user/bulk", {"filter": name}),
                    ("history", "/api/v1/account/transactions", {}),
                    ("statement", "/api/v1/account/statement", {}),
                ):
                    started = time.monotonic()
                    try:
                        status = client.get(path, params=params).status_code
                    except httpx.HTTPError as error:
                        status = repr(error)
                    self.answers.append((status, time.monotonic() - started, what))

    @contextlib.contextmanager
    def running(self):
        threads = [threading.Thread(target=self.read, args=reader, daemon=True) for reader in self.readers]
        for thread in threads:
            thread.start()
        try:
            yield self
        finally:
            self.stopping.set()
            for thread in threads:
                thread.join(timeout=60)


@pytest.mark.parametrize("how", ["stop", "kill9"])
def test_a_stopped_replica_is_skipped_and_used_again_when_back(wallet, cluster, people, logs, caught_up, how):
    primary, replica = cluster
    asha, bilal, chandra = people["asha"], people["bilal"], people["chandra"]
    wait_unpinned(asha, bilal, chandra)
    # The workers hold connections to the replica (and one may still be skipping it after the
    # previous test's outage, for up to RETRY_AFTER).
    replica_serves_in_a_row(wallet, logs, chandra, bilal, timeout=RETRY_AFTER + 10)

    storm = Storm(wallet, [(asha, bilal.first_name), (bilal, chandra.first_name), (chandra, asha.first_name)])
    with storm.running():
        time.sleep(1)
        stopped = time.monotonic()
        if how == "stop":
            replica.stop("fast")
        else:
            replica.kill9()
        newcomer = sign_up(wallet, primary, "Gone")
        sent = transfer(wallet, chandra, bilal)
        for _ in range(8):  # current data: only the primary has these
            assert search(wallet, asha, newcomer.first_name) == [newcomer.id]
            assert history(wallet, bilal)[0] == sent
        time.sleep(max(0.0, stopped + RETRY_AFTER + 1 - time.monotonic()))  # through a retry
    during = storm.answers
    assert len(during) > 30
    assert {status for status, _, _ in during} == {200}, [a for a in during if a[0] != 200][:5]
    print(f"\nreplica {how}: {len(during)} reads, all 200, slowest {max(s for _, s, _ in during) * 1000:.0f} ms")

    replica.start()
    replica.wait_caught_up(primary)
    back_after = replica_serves_in_a_row(wallet, logs, asha, newcomer, timeout=RETRY_AFTER + 30)
    print(f"replica started again: {IN_A_ROW} reads in a row on it {back_after:.1f} s later")
