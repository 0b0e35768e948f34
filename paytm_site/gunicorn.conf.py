"""Production server settings for `make serve` (gunicorn reads this file).

Worker processes sidestep the GIL; a couple of threads per worker overlap database waits.
Defaults measured with `make bench` on 2 cores (docs/PERFORMANCE.md): cores + 1 workers of
2 threads beat 2 x cores + 1 workers of 4 threads, whose 20 requests in flight mostly
competed for the CPU and for the GIL (p99 at 32 clients 270-310 ms against 110-140 ms).
Every number can be overridden from the environment."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '3000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
