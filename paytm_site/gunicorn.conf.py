"""Production server settings for `make serve` (gunicorn reads this file).

Worker processes sidestep the GIL; a couple of threads per worker overlap database waits.
Defaults measured with `make bench` on 2 cores (docs/PERFORMANCE.md): cores + 1 workers of
2 threads beat 2 x cores + 1 workers of 4 threads, whose 20 requests in flight mostly
competed for the CPU and for the GIL (p99 at 32 clients 270-310 ms against 110-140 ms).
Every number can be overridden from the environment, read like every other setting."""

import multiprocessing

from paytm_site.env import env_int, env_str

bind = f"{env_str('HOST', '0.0.0.0')}:{env_int('PORT', 3000)}"
workers = env_int("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1)
worker_class = "gthread"
threads = env_int("GUNICORN_THREADS", 2)
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 10
keepalive = 5
max_requests = env_int("GUNICORN_MAX_REQUESTS", 0)
accesslog = env_str("GUNICORN_ACCESSLOG", "") or None
errorlog = "-"

# Rate limits (sign-in attempts, money requests) count in the cache. Without REDIS_URL it is
# each process's own memory, so several workers would each give the whole allowance: refuse
# to start rather than run with an allowance multiplied by the number of workers.
LIMITS = {
    "AUTH_THROTTLE_RATE": env_str("AUTH_THROTTLE_RATE", "30/min"),
    "MONEY_REQUEST_RATE": env_str("MONEY_REQUEST_RATE", "100/hour"),
}
limited = [name for name, rate in LIMITS.items() if rate.strip().lower() not in {"off", ""}]
if workers > 1 and limited and not env_str("REDIS_URL", ""):
    raise SystemExit(
        f"make serve: {workers} workers without REDIS_URL would each count {' and '.join(limited)} on their own, "
        f"giving {workers} times the allowance. Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) so every worker "
        f"shares one count, or WEB_CONCURRENCY=1, or set {' and '.join(limited)} to off (load tests only)."
    )
