"""`make serve`: the production server, `python -m paytm_site.serve`.

granian (a WSGI server written in Rust: HTTP is parsed outside Python, so the GIL is spent on
the app) with WEB_CONCURRENCY worker processes of WEB_THREADS threads each; `APP_SERVER=gunicorn`
runs gunicorn's gthread workers with the same sizes instead (paytm_site/gunicorn.conf.py).
docs/PERFORMANCE.md has the two measured side by side. Both log JSON lines, sum every
worker's figures at /metrics, and refuse several workers without a shared cache
(paytm_site/serving.py)."""

import os
import sys
from pathlib import Path

from core.logs import logging_config
from paytm_site import serving
from paytm_site.env import env_int, env_str

PROJECT = Path(__file__).resolve().parents[1]
APPLICATION = "paytm_site.wsgi:application"
GRACEFUL_SECONDS = 10  # requests in flight get this long after SIGTERM before workers are killed


def serve_with_granian(log_config: dict) -> None:
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    host, port = serving.bind()
    Granian(
        APPLICATION,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=serving.workers(),
        blocking_threads=serving.threads(),
        http=HTTPModes.http1,  # haproxy and the clients speak HTTP/1.1 to the app
        websockets=False,
        backlog=env_int("GRANIAN_BACKLOG", 1024),
        http1_settings=HTTP1Settings(header_read_timeout=env_int("GRANIAN_HEADER_READ_TIMEOUT_MS", 30_000)),
        log_dictconfig=log_config,
        log_access=False,  # the app writes each request's access line (core/middleware.py)
        respawn_failed_workers=True,  # a worker that dies is replaced, as gunicorn's master does
        workers_kill_timeout=GRACEFUL_SECONDS,
        working_dir=PROJECT,
    ).serve()


def serve_with_gunicorn(options: list[str]) -> None:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    os.execv(gunicorn, [str(gunicorn), "--config", "paytm_site/gunicorn.conf.py", *options, APPLICATION])


def main() -> None:
    os.chdir(PROJECT)
    server = serving.app_server()
    log_config = logging_config(log_format=serving.log_format(), level=env_str("LOG_LEVEL", "INFO"))
    if server == "gunicorn":
        serve_with_gunicorn(sys.argv[1:])  # its configuration file makes the same checks
        return
    serving.refuse_unsafe_configuration(serving.workers())
    if "--check-config" in sys.argv[1:]:
        host, port = serving.bind()
        print(f"granian on {host}:{port}: {serving.workers()} x {serving.threads()} (workers x threads)")
        return
    folder = serving.fresh_metrics_folder()  # before the workers start: each writes its figures there
    try:
        serve_with_granian(log_config)
    finally:
        serving.remove_metrics_files(folder)


if __name__ == "__main__":
    main()
