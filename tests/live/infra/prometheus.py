"""Prometheus scraping the app servers a test started, run from the shipped
deploy/prometheus/prometheus.yml on a free port with a private TSDB folder:

    with prometheus([server.base_url], bearer_token=token) as prom:
        prom.wait_for_value('up{job="wallet"}', 1)

Every flag that defaults to something shared is given: --web.listen-address (default
0.0.0.0:9090) and --storage.tsdb.path (default /var/lib/prometheus/metrics2/, Debian's
service's own data)."""

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import yaml

from tests.live.infra.processes import ManagedProcess, free_port, private_dir, require_binary
from tests.live.infra.rendering import DEPLOY, fill

TEMPLATE = DEPLOY / "prometheus" / "prometheus.yml"


def as_target(address: str) -> str:
    """host:port, also from a base URL such as http://127.0.0.1:8000."""
    return urlsplit(address).netloc if "://" in address else address


def prometheus_config(
    targets: list[str],
    *,
    metrics_path: str,
    credentials_file: Path | None,
    scrape_interval: str,
    prometheus_address: str,
) -> str:
    """The shipped prometheus.yml filled in; without a credentials file, its
    `authorization` block removed (what the file's comment tells an operator to do)."""
    text = fill(
        TEMPLATE.read_text(),
        {
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_interval,  # may not exceed the interval
            "metrics_path": metrics_path,
            "credentials_file": credentials_file or "unused",
            "target": [as_target(target) for target in targets],
            "prometheus_address": prometheus_address,
        },
    )
    if credentials_file is None:
        config = yaml.safe_load(text)
        for job in config["scrape_configs"]:
            job.pop("authorization", None)
        text = yaml.safe_dump(config, sort_keys=False)
    return text


@dataclass
class Prometheus:
    port: int
    root: Path
    process: ManagedProcess

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, **params) -> dict:
        """GET /api/v1/<path>; its `data`, or an error carrying Prometheus' own message."""
        response = httpx.get(f"{self.base_url}/api/v1/{path}", params=params, timeout=10)
        body = response.json()
        if body.get("status") != "success":
            raise RuntimeError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, promql: str) -> float | None:
        """The value of an instant query now: None when it selects no series. A query
        selecting several series is an error: aggregate it (sum, max…) to one."""
        data = self.api("query", query=promql)
        if data["resultType"] == "scalar":
            return float(data["result"][1])
        if data["resultType"] != "vector":
            raise ValueError(f"{promql!r} is a {data['resultType']}, not an instant vector or scalar")
        series = data["result"]
        if not series:
            return None
        if len(series) > 1:
            raise ValueError(f"{promql!r} selects {len(series)} series: {[s['metric'] for s in series]}")
        return float(series[0]["value"][1])

    def targets(self) -> list[dict]:
        """The active scrape targets with their health and last error (why a value never comes)."""
        return self.api("targets", state="active")["activeTargets"]

    def wait_for_value(
        self, promql: str, expected: float | Callable[[float | None], bool], timeout: float = 30
    ) -> float | None:
        """Poll `promql` until it equals `expected` (or `expected(value)` holds); the value.
        On timeout the error tells the last value and every target's health."""
        matches = expected if callable(expected) else lambda value: value is not None and math.isclose(value, expected)
        deadline, value = time.monotonic() + timeout, None
        while True:
            with contextlib.suppress(httpx.HTTPError):
                value = self.query(promql)
                if matches(value):
                    return value
            if time.monotonic() > deadline:
                health = [(t["scrapeUrl"], t["health"], t["lastError"]) for t in self.targets()]
                raise TimeoutError(f"{promql!r} was {value!r}, never {expected!r}, within {timeout:.0f} s; {health}")
            time.sleep(0.2)

    def reload(self) -> None:
        """Reread the configuration file (needs --web.enable-lifecycle, which it has)."""
        httpx.post(f"{self.base_url}/-/reload", timeout=10).raise_for_status()

    def log_tail(self, lines: int = 40) -> str:
        return self.process.tail(lines)


@contextlib.contextmanager
def prometheus(
    targets: list[str],
    metrics_path: str = "/metrics",
    bearer_token: str | None = None,
    scrape_interval: str = "1s",
    *,
    timeout: float = 30,
) -> Iterator[Prometheus]:
    """Prometheus scraping `targets` (host:port or base URLs) every `scrape_interval`,
    ready (/-/ready) when yielded, stopped and its data deleted at the end."""
    binary = require_binary("prometheus", "prometheus")
    with private_dir("wallet-prometheus-") as root:
        credentials = None
        if bearer_token is not None:
            credentials = root / "metrics-token"
            credentials.write_text(bearer_token)
            credentials.chmod(0o600)
        port = free_port()
        config = root / "prometheus.yml"
        config.write_text(
            prometheus_config(
                targets,
                metrics_path=metrics_path,
                credentials_file=credentials,
                scrape_interval=scrape_interval,
                prometheus_address=f"127.0.0.1:{port}",
            )
        )
        command = [
            binary,
            f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--storage.tsdb.path={root / 'data'}",
            "--storage.tsdb.retention.time=1d",
            "--web.enable-lifecycle",
        ]
        process = ManagedProcess(command, log=root / "prometheus.log", cwd=root)
        server = Prometheus(port=port, root=root, process=process)
        try:
            wait_ready(server, timeout)
            yield server
        finally:
            process.stop()


def wait_ready(server: Prometheus, timeout: float) -> None:
    """Until /-/ready answers 200; fail at once, with its log, if Prometheus exits."""
    deadline = time.monotonic() + timeout
    while True:
        if not server.process.running():
            raise RuntimeError(f"prometheus exited with {server.process.popen.returncode}:\n{server.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.base_url}/-/ready", timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"prometheus not ready within {timeout:.0f} s:\n{server.log_tail()}")
        time.sleep(0.1)
