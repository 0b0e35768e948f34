"""CPU per request, in one process, through the whole Django stack (test client, middleware,
DRF, authentication, the database's round trips), on a fresh PostgreSQL database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/cpu_per_request.py

Prints one line of JSON: milliseconds of this process's CPU (`time.process_time`) per request
for each scenario, the minimum over `--rounds` rounds of `--requests` requests after a
warm-up. The minimum, because the VM's speed drifts and nothing makes a request cheaper than
it is. PostgreSQL's own CPU is not counted (it runs in other processes): this measures what
the app costs. `bench/ab.py` runs it for two commits interleaved.

Settings come from the environment, as for the server (e.g. METRICS_ENABLED, LOG_FORMAT).
A report, never a test.
"""

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

# BENCH_PROJECT: measure another checkout of the project with this script (bench/ab.py).
PROJECT = Path(os.environ.get("BENCH_PROJECT") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(PROJECT))
os.chdir(PROJECT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paytm_site.settings")
os.environ.setdefault("AUTH_THROTTLE_RATE", "off")

SCENARIOS = ("transfer", "balance", "search", "history", "healthz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args()
    print(json.dumps(on_a_fresh_database(lambda: measure(args))))


def on_a_fresh_database(work):
    """`work()` with Django set up on a fresh test database (created, then destroyed)."""
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        return work()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def measure(args) -> dict:
    requests = scenarios(args.people)
    figures = {}
    for name in args.scenarios.split(","):
        request = requests[name]
        for _ in range(args.warmup):
            request()
        figures[name] = round(min(cpu_ms_per_request(request, args.requests) for _ in range(args.rounds)), 4)
    return figures


def cpu_ms_per_request(request, count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        request()
    return (time.process_time() - started) / count * 1000


def scenarios(people_count: int) -> dict:
    """Each scenario as a function that makes one request and checks its answer, on
    `people_count` people made for it."""
    from django.contrib.auth.hashers import make_password
    from django.test import Client

    from accounts.services import accounts_open_bulk
    from users.models import User
    from users.tokens import tokens_for

    password = make_password("bench-password-not-secret")
    people = [
        User(email=f"cpu{n}@bench.example.com", first_name=f"Asha{n % 50}", last_name="Rao", password=password)
        for n in range(people_count)
    ]
    accounts_open_bulk(users=people, grants=[10_000_00] * len(people))  # ₹10,000 each: no transfer runs dry
    # One client, the token per request: each test Client builds its own middleware stack on
    # its first request (WhiteNoise scanning the static files among it), which is start-up
    # work, not a request's.
    client = Client()
    tokens = [f"Bearer {tokens_for(person)['token']}" for person in people]
    ids = [str(person.public_id) for person in people]
    rng = random.Random(1)

    def transfer():
        sender, recipient = rng.sample(range(len(people)), 2)
        response = client.post(
            "/api/v1/account/transfer",
            {"to": ids[recipient], "amount": "0.01"},
            content_type="application/json",
            HTTP_AUTHORIZATION=tokens[sender],
        )
        assert response.status_code == 200, response.content

    def balance():
        assert client.get("/api/v1/account/balance", HTTP_AUTHORIZATION=rng.choice(tokens)).status_code == 200

    def search():
        query = {"filter": f"asha{rng.randrange(50)}"}
        assert client.get("/api/v1/user/bulk", query, HTTP_AUTHORIZATION=rng.choice(tokens)).status_code == 200

    def history():
        assert client.get("/api/v1/account/transactions", HTTP_AUTHORIZATION=rng.choice(tokens)).status_code == 200

    def healthz():
        assert client.get("/healthz").status_code == 200

    return {"transfer": transfer, "balance": balance, "search": search, "history": history, "healthz": healthz}


if __name__ == "__main__":
    main()
