"""`make serve`'s server settings (paytm_site/gunicorn.conf.py): with several workers and no
shared cache, the rate limits would count per worker, so the server refuses to start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


def start(tmp_path, **env) -> subprocess.CompletedProcess:
    """Load the configuration as `make serve` does; `--check-config` stops before serving."""
    environment = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    environment.update(
        LOCAL_SECRETS_FILE=str(tmp_path / "secrets.json"), DATABASE_URL=f"sqlite:///{tmp_path}/db", **env
    )
    command = [sys.executable, "-m", "gunicorn", "--config", "paytm_site/gunicorn.conf.py", "--check-config"]
    return subprocess.run(
        [*command, "paytm_site.wsgi:application"],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_several_workers_without_redis_refuse_to_start_and_say_why(tmp_path):
    refused = start(tmp_path, WEB_CONCURRENCY="3")
    assert refused.returncode != 0
    said = refused.stdout + refused.stderr
    assert "REDIS_URL" in said and "3 times the allowance" in said


@pytest.mark.parametrize(
    "env",
    [
        {"WEB_CONCURRENCY": "3", "REDIS_URL": "redis://127.0.0.1:6379/0"},
        {"WEB_CONCURRENCY": "1"},
        {"WEB_CONCURRENCY": "3", "AUTH_THROTTLE_RATE": "off", "MONEY_REQUEST_RATE": "off"},
    ],
)
def test_a_shared_cache_one_worker_or_no_limits_start(tmp_path, env):
    started = start(tmp_path, **env)
    assert started.returncode == 0, started.stdout + started.stderr
