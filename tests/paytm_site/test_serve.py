"""`make serve` (paytm_site/serve.py): granian by default, gunicorn on request, each with the
same checks. With several workers and no shared cache, the rate limits would count per worker,
so either server refuses to start and says why; a name that is no server is refused too."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
SERVERS = ["granian", "gunicorn"]


def start(tmp_path, **env) -> subprocess.CompletedProcess:
    """Load the configuration as `make serve` does; `--check-config` stops before serving."""
    environment = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "APP_SERVER"}}
    environment.update(
        LOCAL_SECRETS_FILE=str(tmp_path / "secrets.json"), DATABASE_URL=f"sqlite:///{tmp_path}/db", **env
    )
    return subprocess.run(
        [sys.executable, "-m", "paytm_site.serve", "--check-config"],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("server", SERVERS)
def test_several_workers_without_redis_refuse_to_start_and_say_why(tmp_path, server):
    refused = start(tmp_path, APP_SERVER=server, WEB_CONCURRENCY="3")
    assert refused.returncode != 0
    said = refused.stdout + refused.stderr
    assert "REDIS_URL" in said and "3 times the allowance" in said


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize(
    "env",
    [
        {"WEB_CONCURRENCY": "3", "REDIS_URL": "redis://127.0.0.1:6379/0"},
        {"WEB_CONCURRENCY": "1"},
        {"WEB_CONCURRENCY": "3", "AUTH_THROTTLE_RATE": "off", "MONEY_REQUEST_RATE": "off"},
    ],
)
def test_a_shared_cache_one_worker_or_no_limits_start(tmp_path, server, env):
    started = start(tmp_path, APP_SERVER=server, **env)
    assert started.returncode == 0, started.stdout + started.stderr


def test_replicas_without_redis_refuse_several_workers_even_without_limits(tmp_path):
    refused = start(
        tmp_path,
        WEB_CONCURRENCY="2",
        AUTH_THROTTLE_RATE="off",
        MONEY_REQUEST_RATE="off",
        DATABASE_REPLICA_URLS="postgres://replica.example/wallet",
    )
    assert refused.returncode != 0 and "read-your-writes pins" in refused.stdout + refused.stderr


def test_granian_is_the_default_and_says_its_sizes(tmp_path):
    started = start(tmp_path, WEB_CONCURRENCY="1", WEB_THREADS="3", PORT="3999")
    assert started.returncode == 0 and "granian on 0.0.0.0:3999: 1 x 3 (workers x threads)" in started.stdout


def test_a_server_that_is_not_one_is_refused(tmp_path):
    refused = start(tmp_path, APP_SERVER="waitress")
    assert refused.returncode != 0 and "granian, gunicorn" in refused.stderr
