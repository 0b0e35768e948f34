"""Production server settings for `make serve` (gunicorn reads this file).

Worker processes sidestep the GIL; a couple of threads per worker overlap database waits.
Defaults measured with `make bench` on 2 cores (docs/PERFORMANCE.md): cores + 1 workers of
2 threads beat 2 x cores + 1 workers of 4 threads, whose 20 requests in flight mostly
competed for the CPU and for the GIL (p99 at 32 clients 270-310 ms against 110-140 ms).
Every number can be overridden from the environment, read like every other setting."""

import glob
import multiprocessing
import os
import tempfile

from core.logs import logging_config
from paytm_site.env import env_int, env_str

# The production server logs JSON lines unless told otherwise (LOG_FORMAT=text); workers
# inherit the environment, so Django's settings read the same.
os.environ.setdefault("LOG_FORMAT", "json")
logconfig_dict = logging_config(log_format=os.environ["LOG_FORMAT"], level=env_str("LOG_LEVEL", "INFO"))

bind = f"{env_str('HOST', '0.0.0.0')}:{env_int('PORT', 3000)}"
workers = env_int("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1)
worker_class = "gthread"
threads = env_int("GUNICORN_THREADS", 2)
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 10
keepalive = 5
max_requests = env_int("GUNICORN_MAX_REQUESTS", 0)
# Each request's access line comes from the app (core.middleware.RequestObservationMiddleware,
# with its route, user and request id); gunicorn's own would repeat it without them.
accesslog = env_str("GUNICORN_ACCESSLOG", "") or None
errorlog = "-"

# Prometheus figures of every worker, summed at each scrape (core/metrics.py): each worker
# writes into this folder, made fresh at every start so no earlier run's counts linger.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="wallet-metrics-")


def on_starting(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for stale in glob.glob(os.path.join(folder, "*.db")):  # only prometheus-client's own files
        os.remove(stale)


def child_exit(server, worker):
    """A dead worker's live gauges leave the sums; what it counted stays counted."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    for written in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(written)


# Rate limits (sign-in attempts, money requests) count in the cache, and read-your-writes pins
# (core/replicas.py) live there. Without REDIS_URL the cache is each process's own memory, so
# several workers would each give the whole allowance, and a person's next read could land
# on a worker that never heard of their payment: refuse to start rather than run so.
LIMITS = {
    "AUTH_THROTTLE_RATE": env_str("AUTH_THROTTLE_RATE", "30/min"),
    "MONEY_REQUEST_RATE": env_str("MONEY_REQUEST_RATE", "100/hour"),
}
limited = [name for name, rate in LIMITS.items() if rate.strip().lower() not in {"off", ""}]
pinned = bool(env_str("DATABASE_REPLICA_URLS", "").strip())
if workers > 1 and (limited or pinned) and not env_str("REDIS_URL", ""):
    reasons = [f"would each count {' and '.join(limited)} on their own, giving {workers} times the allowance"] * bool(
        limited
    ) + ["would each keep their own read-your-writes pins (DATABASE_REPLICA_URLS)"] * pinned
    raise SystemExit(
        f"make serve: {workers} workers without REDIS_URL {'; and '.join(reasons)}. Set REDIS_URL "
        "(e.g. redis://127.0.0.1:6379/0) so every worker shares one cache, or WEB_CONCURRENCY=1"
        + (f", or set {' and '.join(limited)} to off (load tests only)." if limited and not pinned else ".")
    )
