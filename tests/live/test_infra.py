"""The harnesses in tests/live/infra work: each starts the real part, which really does its
job, and leaves nothing running. Seconds each; the tests that use them build on this."""

import contextlib
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from tests.live.infra.pgbouncer import pgbouncer
from tests.live.infra.postgres import primary_with_replicas, private_postgres
from tests.live.infra.processes import free_port, require_binary, wait_for
from tests.live.infra.prometheus import prometheus, prometheus_config
from tests.live.infra.rendering import fill

pytestmark = [pytest.mark.live_server]


def test_a_row_reaches_the_replica_unless_replay_is_paused():
    with primary_with_replicas(1, databases=("wallet",)) as (primary, [replica]):
        assert replica.in_recovery() and not primary.in_recovery()
        assert [row["state"] for row in primary.replication()] == ["streaming"]
        primary.sql("CREATE TABLE notes (id int PRIMARY KEY)", db="wallet")
        primary.sql("INSERT INTO notes VALUES (1)", db="wallet")
        replica.wait_caught_up(primary)
        assert replica.sql("SELECT id FROM notes", db="wallet") == [(1,)]
        assert replica.replay_lag_seconds() == 0

        replica.pause_replay()
        primary.sql("INSERT INTO notes VALUES (2)", db="wallet")
        lag = wait_for(replica.replay_lag_seconds, "the paused replica receives WAL it does not apply", timeout=10)
        assert replica.sql("SELECT id FROM notes ORDER BY id", db="wallet") == [(1,)]
        time.sleep(0.5)
        assert replica.replay_lag_seconds() >= lag + 0.4
        assert replica.sql("SELECT id FROM notes ORDER BY id", db="wallet") == [(1,)]

        replica.resume_replay()
        replica.wait_caught_up(primary)
        assert replica.sql("SELECT id FROM notes ORDER BY id", db="wallet") == [(1,), (2,)]
        assert replica.replay_lag_seconds() == 0


def test_pgbouncer_pools_transactions_onto_one_server_connection():
    with private_postgres(databases=("wallet",)) as primary, pgbouncer(primary, ["wallet"]) as bouncer:
        clients = [bouncer.connect("wallet") for _ in range(3)]
        try:
            answers = [client.execute("SELECT current_database(), pg_backend_pid()").fetchone() for client in clients]
            pool = bouncer.pool("wallet")
        finally:
            for client in clients:
                client.close()
        assert {database for database, _ in answers} == {"wallet"}
        # Three clients connected at once, one after the other in a transaction each:
        # in session mode each would hold a server connection of its own.
        assert len({backend for _, backend in answers}) == 1
        assert pool["pool_mode"] == "transaction" and pool["cl_active"] == 3
        assert pool["sv_active"] + pool["sv_idle"] + pool["sv_used"] == 1
        config = {row["key"]: row["value"] for row in bouncer.show("CONFIG")}
        assert config["pool_mode"] == "transaction" and config["auth_type"] == "scram-sha-256"


class Metrics(BaseHTTPRequestHandler):
    """A fixed /metrics page, behind a bearer token when the server has one."""

    def do_GET(self):
        token = self.server.token
        if token and self.headers.get("Authorization") != f"Bearer {token}":
            self.send_response(401)
            self.end_headers()
            return
        body = b"# TYPE test_metric gauge\ntest_metric 42\n"
        self.send_response(200 if self.path == "/metrics" else 404)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def metrics_server(token: str | None = None):
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Metrics)
    server.token = token
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_prometheus_scrapes_a_target_with_its_bearer_token():
    with metrics_server(token="s3cret") as target, prometheus([target], bearer_token="s3cret") as prom:
        assert prom.wait_for_value('test_metric{job="wallet"}', 42, timeout=20) == 42
        assert prom.query('up{job="wallet"}') == 1
        assert prom.query("absent_metric_of_nobody") is None


def test_shipped_configs_fill_in_completely_and_prometheus_checks_its_own(tmp_path):
    promtool = require_binary("promtool", "prometheus")
    for token in (None, tmp_path / "token"):
        text = prometheus_config(
            ["127.0.0.1:8001", "http://127.0.0.1:8002"],
            metrics_path="/metrics",
            credentials_file=token,
            scrape_interval="15s",
            prometheus_address="127.0.0.1:9090",
        )
        (wallet,) = [job for job in yaml.safe_load(text)["scrape_configs"] if job["job_name"] == "wallet"]
        assert wallet["static_configs"][0]["targets"] == ["127.0.0.1:8001", "127.0.0.1:8002"]
        assert ("authorization" in wallet) is (token is not None)
        (tmp_path / "token").write_text("t")
        (tmp_path / "prometheus.yml").write_text(text)
        checked = subprocess.run(
            [promtool, "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
    with pytest.raises(KeyError, match="listen_port"):
        fill("port = {listen_port}\n", {})
    assert fill("{db} = dbname={db} port={port}\n", {"db": ["a", "b"], "port": 1}) == (
        "a = dbname=a port=1\nb = dbname=b port=1\n"
    )
