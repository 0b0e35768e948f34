"""HAProxy of the tests' own, configured by the shipped deploy/haproxy/haproxy.cfg with
private addresses given through the environment it reads, in the foreground (master-worker,
-db), stopped at the end.

    with haproxy_in_front_of(["127.0.0.1:8001", "127.0.0.1:8002"], workdir) as proxy:
        httpx.get(f"{proxy.url}/...")
        proxy.server_states()   # {"app1": "UP", "app2": "DOWN", ...} from the stats page"""

import contextlib
import csv
import io
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.live.infra.processes import ManagedProcess, free_port, require_binary, wait_for

PROJECT = Path(__file__).resolve().parents[3]
HAPROXY_CONFIG = PROJECT / "deploy" / "haproxy" / "haproxy.cfg"
BACKEND = "wallet_app"


@dataclass
class HAProxy:
    process: ManagedProcess
    port: int
    stats_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stats_url(self) -> str:
        return f"http://127.0.0.1:{self.stats_port}"

    def answers(self) -> bool:
        """The frontend answers HTTP (whatever the status: 503 when no server is up yet)."""
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                return response.status > 0
        except urllib.error.HTTPError:
            return True

    def server_states(self) -> dict[str, str]:
        """Each app server's state as HAProxy sees it (UP, DOWN, "UP 1/2", ...)."""
        with urllib.request.urlopen(f"{self.stats_url}/stats;csv", timeout=2) as response:
            text = response.read().decode().lstrip("# ")
        return {
            row["svname"]: row["status"]
            for row in csv.DictReader(io.StringIO(text))
            if row["pxname"] == BACKEND and row["svname"] not in ("FRONTEND", "BACKEND")
        }


def haproxy_environment(backends: list[str], port: int, stats_port: int, workdir: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        "WALLET_FRONTEND_ADDR": f"127.0.0.1:{port}",
        "HAPROXY_STATS_ADDR": f"127.0.0.1:{stats_port}",
        "HAPROXY_RUNTIME_SOCKET": str(workdir / "haproxy.sock"),
        "WALLET_HEALTHCHECK_HOST": "localhost",
    }
    for number, address in enumerate(backends, start=1):
        env[f"APP{number}_ADDR"] = address
    return env


@contextlib.contextmanager
def haproxy_in_front_of(backends: list[str], workdir: Path, timeout: float = 30) -> Iterator[HAProxy]:
    """HAProxy balancing over `backends` (host:port of app1, app2), on a free port."""
    binary = require_binary("haproxy", "haproxy")
    port, stats_port = free_port(), free_port()
    env = haproxy_environment(backends, port, stats_port, workdir)
    checked = subprocess.run(
        [binary, "-c", "-f", str(HAPROXY_CONFIG)], env=env, capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    process = ManagedProcess([binary, "-W", "-db", "-f", str(HAPROXY_CONFIG)], log=workdir / "haproxy.log", env=env)
    proxy = HAProxy(process=process, port=port, stats_port=stats_port)
    try:
        wait_for(lambda: proxy.answers() or not process.running(), "haproxy's frontend answers", timeout=timeout)
        if not process.running():
            raise RuntimeError(f"haproxy exited:\n{process.tail()}")
        yield proxy
    finally:
        process.stop()
