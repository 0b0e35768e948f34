"""What every production server of the app shares (paytm_site/serve.py runs granian by default,
gunicorn with APP_SERVER=gunicorn through paytm_site/gunicorn.conf.py): its size, the refusal
to run several workers that would each count rate limits on their own, the JSON logs and the
folder where each worker writes its Prometheus figures.

Defaults measured with `make bench` on 2 cores (docs/PERFORMANCE.md): cores + 1 workers of 2
threads beat 2 x cores + 1 workers of 4 threads, whose 20 requests in flight mostly competed
for the CPU and for the GIL. Every number can be overridden from the environment.
This module imports nothing of Django's: a server's master process reads it."""

import glob
import multiprocessing
import os
import tempfile

from paytm_site.env import env_int, env_str

APP_SERVERS = ("granian", "gunicorn")


def app_server() -> str:
    name = env_str("APP_SERVER", "granian").strip().lower()
    if name not in APP_SERVERS:
        raise SystemExit(f"make serve: APP_SERVER={name!r} is not one of {', '.join(APP_SERVERS)}.")
    return name


def bind() -> tuple[str, int]:
    return env_str("HOST", "0.0.0.0"), env_int("PORT", 3000)


def workers() -> int:
    return env_int("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1)


def threads() -> int:
    return env_int("WEB_THREADS", 2)


def log_format() -> str:
    """The production server logs JSON lines unless told otherwise (LOG_FORMAT=text). Workers
    inherit the environment, so Django's settings read the same."""
    os.environ.setdefault("LOG_FORMAT", "json")
    return os.environ["LOG_FORMAT"]


def refuse_unsafe_configuration(worker_count: int) -> None:
    """Rate limits (sign-in attempts, money requests) count in the cache, and read-your-writes
    pins (core/replicas.py) live there. Without REDIS_URL the cache is each process's own
    memory, so several workers would each give the whole allowance, and a person's next read
    could land on a worker that never heard of their payment: refuse to start rather than
    run so."""
    limits = {
        "AUTH_THROTTLE_RATE": env_str("AUTH_THROTTLE_RATE", "30/min"),
        "MONEY_REQUEST_RATE": env_str("MONEY_REQUEST_RATE", "100/hour"),
    }
    limited = [name for name, rate in limits.items() if rate.strip().lower() not in {"off", ""}]
    pinned = bool(env_str("DATABASE_REPLICA_URLS", "").strip())
    if worker_count <= 1 or not (limited or pinned) or env_str("REDIS_URL", ""):
        return
    reasons = []
    if limited:
        reasons.append(
            f"would each count {' and '.join(limited)} on their own, giving {worker_count} times the allowance"
        )
    if pinned:
        reasons.append("would each keep their own read-your-writes pins (DATABASE_REPLICA_URLS)")
    raise SystemExit(
        f"make serve: {worker_count} workers without REDIS_URL {'; and '.join(reasons)}. Set REDIS_URL "
        "(e.g. redis://127.0.0.1:6379/0) so every worker shares one cache, or WEB_CONCURRENCY=1"
        + (f", or set {' and '.join(limited)} to off (load tests only)." if limited and not pinned else ".")
    )


def fresh_metrics_folder() -> str:
    """PROMETHEUS_MULTIPROC_DIR, made (a new temporary folder when unset) and emptied of an
    earlier run's figures (only prometheus-client's own files), so no old count lingers."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="wallet-metrics-")
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    remove_metrics_files(folder)
    return folder


def remove_metrics_files(folder: str) -> None:
    for written in glob.glob(os.path.join(folder, "*.db")):
        os.remove(written)
