"""The service's Prometheus series (SPEC, "Production operations"), counted where things happen
and served at `/metrics` (core/views.py), summed across every worker of the server.

Under `make serve` prometheus-client runs in multiprocess mode: each worker writes its figures
to files in PROMETHEUS_MULTIPROC_DIR (made fresh by paytm_site/serving.py at each start; what a
dead worker counted stays counted; there are no gauges, which would need a hook to drop a
dead worker's) and a scrape reads them all. Without that variable (tests, `make run`) the
figures are this process's own.

Recording is cheap by construction: the series are made once, at import; recording is a
label lookup (a dict) and an increment."""

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST"]

# Seconds: most requests take a few milliseconds; a slow one queues behind the CPU.
DURATION_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "wallet_http_requests_total", "HTTP requests answered, by route (URL pattern)", ["method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "wallet_http_request_duration_seconds",
    "Time to answer an HTTP request, by route",
    ["method", "route"],
    buckets=DURATION_BUCKETS,
)
MONEY_MOVEMENTS = Counter(
    "wallet_money_movements_total",
    "Money movements by kind and outcome (posted, refused, replayed)",
    ["kind", "outcome"],
)
MONEY_MOVED = Counter("wallet_money_moved_paise_total", "Paise moved by posted movements, by kind", ["kind"])
DATABASE_ERRORS = Counter("wallet_database_errors_total", "Database errors answered, by kind", ["kind"])
REPLICA_READS = Counter("wallet_replica_reads_total", "Reads sent to a read replica, by database alias", ["database"])

POSTED, REFUSED, REPLAYED = "posted", "refused", "replayed"
UNREACHABLE, OTHER = "unreachable", "other"


def record_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_DURATION.labels(method, route).observe(seconds)


def record_movement(kind: str, outcome: str, paise: int) -> None:
    MONEY_MOVEMENTS.labels(kind, outcome).inc()
    if outcome == POSTED:
        MONEY_MOVED.labels(kind).inc(paise)


def record_database_error(kind: str) -> None:
    DATABASE_ERRORS.labels(kind).inc()


def record_replica_read(database: str) -> None:
    REPLICA_READS.labels(database).inc()


def exposition() -> bytes:
    """The text a scrape gets: every worker's figures summed (multiprocess mode), or ours."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()
