"""What the metrics and the JSON access log cost a request, in one process (issue 17): the same
transfers and balance reads with core/metrics.py's recorders replaced by no-ops, with the
access logger switched off, with both, and as production runs them, interleaved round by
round; the minimum of each, as bench/cpu_per_request.py measures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test LOG_FORMAT=json \\
    PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) .venv/bin/python bench/observation_cost.py

Set LOG_FORMAT=json and PROMETHEUS_MULTIPROC_DIR as `make serve` does, or the figures are of
text logs and in-memory metrics. The log goes to standard error: send it to /dev/null. A
report, never a test.
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu_per_request import PROJECT, cpu_ms_per_request, on_a_fresh_database, scenarios

os.chdir(PROJECT)
RECORDERS = ("record_request", "record_movement", "record_database_error", "record_replica_read")
VARIANTS = {  # name: (metrics recorded, access line written)
    "as served": (True, True),
    "no metrics": (False, True),
    "no access log": (True, False),
    "neither": (False, False),
}


def measure(args) -> dict:
    from core import metrics
    from core.middleware import access_log

    real = {name: getattr(metrics, name) for name in RECORDERS}

    def switch(metrics_on: bool, log_on: bool) -> None:
        for name, recorder in real.items():
            setattr(metrics, name, recorder if metrics_on else (lambda *args, **kwargs: None))
        access_log.disabled = not log_on

    requests = scenarios(args.people)
    figures = {}
    try:
        for name in ("transfer", "balance"):
            for _ in range(args.warmup):
                requests[name]()
            best = dict.fromkeys(VARIANTS, float("inf"))
            for _ in range(args.rounds):
                for variant, (metrics_on, log_on) in VARIANTS.items():
                    switch(metrics_on, log_on)
                    best[variant] = min(best[variant], cpu_ms_per_request(requests[name], args.requests))
            figures[name] = {variant: round(ms, 4) for variant, ms in best.items()}
            figures[name]["metrics and log cost"] = round(best["as served"] - best["neither"], 4)
    finally:
        switch(True, True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=300)
    args = parser.parse_args()
    print(json.dumps(on_a_fresh_database(lambda: measure(args)), indent=1))


if __name__ == "__main__":
    main()
