"""gunicorn's settings, for `APP_SERVER=gunicorn make serve` (paytm_site/serve.py; granian is
the default). Sizes, logs, metrics and the refusal of an unsafe configuration are shared with
granian (paytm_site/serving.py); what is gunicorn's own is here."""

import os

from core.logs import logging_config
from paytm_site import serving
from paytm_site.env import env_int, env_str

logconfig_dict = logging_config(log_format=serving.log_format(), level=env_str("LOG_LEVEL", "INFO"))

host, port = serving.bind()
bind = f"{host}:{port}"
workers = serving.workers()
worker_class = "gthread"
threads = serving.threads()
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 10
keepalive = 5
max_requests = env_int("GUNICORN_MAX_REQUESTS", 0)
# Each request's access line comes from the app (core.middleware.RequestObservationMiddleware,
# with its route, user and request id); gunicorn's own would repeat it without them.
accesslog = env_str("GUNICORN_ACCESSLOG", "") or None
errorlog = "-"

serving.refuse_unsafe_configuration(workers)


def on_starting(server):
    serving.fresh_metrics_folder()  # Prometheus figures of every worker, summed at each scrape


def child_exit(server, worker):
    """A dead worker's live gauges leave the sums; what it counted stays counted."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    serving.remove_metrics_files(os.environ["PROMETHEUS_MULTIPROC_DIR"])
