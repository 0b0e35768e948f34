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
