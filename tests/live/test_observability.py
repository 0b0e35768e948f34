"""What an operator watches, from a live server with several workers (as `make
serve` runs it): `/metrics` summed across every worker with exact counts, scraped by a real
Prometheus, and JSON log lines with request ids that never hold a secret."""

import json
import re
import uuid

import httpx
import pytest

from tests.live.conftest import serve_wallet
from tests.live.infra.prometheus import prometheus

pytestmark = pytest.mark.live_server
PASSWORD = "correct horse battery"
METRICS_TOKEN = "scrape-token-for-tests"


def parse_metrics(text: str) -> dict[tuple, float]:
    """{(name, frozenset of labels): value} for every sample of a Prometheus text exposition."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$", line)
        assert match, line
        name, labels, value = match.groups()
        pairs = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels or ""))
        samples[(name, pairs)] = float(value)
    return samples


def sample(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {"METRICS_TOKEN": METRICS_TOKEN}
    with serve_wallet("postgres", tmp_path_factory.mktemp("observed"), extra_env=env) as wallet:
        yield wallet


def scrape(server, **headers) -> httpx.Response:
    with server.client() as client:
        return client.get("/metrics", headers=headers)


def transfer(client, token, to, amount, key=None):
    headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
    return client.post("/api/v1/account/transfer", json={"to": to, "amount": amount}, headers=headers)


def test_metrics_count_exactly_what_happened_across_every_worker(server):
    before = parse_metrics(scrape(server).text)
    people = [server.signup(f"Counted{n}") for n in range(3)]
    posted, refused, replayed, paise = 0, 0, 0, 0
    with server.client() as client:  # many connections' worth of requests, spread over the workers
        for n in range(12):
            sender, recipient = people[n % 3], people[(n + 1) % 3]
            key = uuid.uuid4().hex
            assert transfer(client, sender["token"], recipient["userId"], "0.05", key).status_code == 200
            posted, paise = posted + 1, paise + 5
            assert transfer(client, sender["token"], recipient["userId"], "0.05", key).status_code == 200
            replayed += 1
        for _ in range(4):
            answer = transfer(client, people[0]["token"], people[1]["userId"], "99999.00")
            assert answer.status_code == 400 and answer.json()["message"] == "Insufficient balance"
            refused += 1
        wrong_method = client.get(
            "/api/v1/account/requests/not-an-id/pay", headers={"Authorization": f"Bearer {people[0]['token']}"}
        )
        assert wrong_method.status_code == 405
    after = parse_metrics(scrape(server).text)

    def grew(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("wallet_money_movements_total", kind="transfer", outcome="posted") == posted
    assert grew("wallet_money_movements_total", kind="transfer", outcome="replayed") == replayed
    assert grew("wallet_money_movements_total", kind="transfer", outcome="refused") == refused
    assert grew("wallet_money_movements_total", kind="grant", outcome="posted") == 3
    assert grew("wallet_money_moved_paise_total", kind="transfer") == paise
    route = "/api/v1/account/transfer"
    assert grew("wallet_http_requests_total", method="POST", route=route, status="200") == posted + replayed
    assert grew("wallet_http_requests_total", method="POST", route=route, status="400") == refused
    assert grew("wallet_http_requests_total", method="POST", route="/api/v1/user/signup", status="200") == 3
    # Routes are URL patterns, never raw paths with ids in them.
    pay = "/api/v1/account/requests/{request_id}/pay"
    assert grew("wallet_http_requests_total", method="GET", route=pay, status="405") == 1
    assert not [key for key in after if "not-an-id" in str(key)]
    counted = grew("wallet_http_request_duration_seconds_count", method="POST", route=route)
    assert counted == posted + replayed + refused
    assert grew("wallet_database_errors_total", kind="unreachable") == 0


def test_a_dead_workers_counts_stay_counted(server):
    import os
    import signal

    people = [server.signup(f"Survivor{n}") for n in range(2)]
    with server.client() as client:
        for _ in range(6):
            transfer(client, people[0]["token"], people[1]["userId"], "0.01")
    counted = sample(
        parse_metrics(scrape(server).text), "wallet_money_movements_total", kind="transfer", outcome="posted"
    )
    workers = [int(pid) for pid in os.popen(f"pgrep -P {server.process.pid}").read().split()]
    os.kill(workers[0], signal.SIGKILL)  # the master starts another in its place
    after = parse_metrics(scrape(server).text)
    assert sample(after, "wallet_money_movements_total", kind="transfer", outcome="posted") >= counted


def test_metrics_are_not_public(tmp_path):
    env = {"METRICS_ALLOWED_IPS": "203.0.113.7", "METRICS_TOKEN": METRICS_TOKEN}
    with serve_wallet("sqlite", tmp_path, extra_env=env) as locked:
        assert scrape(locked).status_code == 403
        assert scrape(locked, Authorization="Bearer wrong").status_code == 403
        allowed = scrape(locked, Authorization=f"Bearer {METRICS_TOKEN}")
        assert allowed.status_code == 200 and "wallet_http_requests_total" in allowed.text


def test_a_real_prometheus_scrapes_the_same_figure(server):
    people = [server.signup(f"Scraped{n}") for n in range(2)]
    with server.client() as client:
        for _ in range(5):
            assert transfer(client, people[0]["token"], people[1]["userId"], "0.02").status_code == 200
    expected = sample(
        parse_metrics(scrape(server).text), "wallet_money_movements_total", kind="transfer", outcome="posted"
    )
    target = server.base_url.removeprefix("http://")
    with prometheus([target], bearer_token=METRICS_TOKEN) as scraper:
        query = 'sum(wallet_money_movements_total{kind="transfer",outcome="posted"})'
        scraper.wait_for_value(query, expected, timeout=60)


# -- logs ---------------------------------------------------------------------------------------


def test_a_whole_journey_logs_json_lines_with_request_ids_and_no_secrets(server):
    log = server.workdir / "server.log"
    start = log.stat().st_size
    email = f"journey-{uuid.uuid4().hex[:8]}@example.com"
    sent_id = f"journey-{uuid.uuid4().hex}"
    with server.client() as client:
        signup = client.post(
            "/api/v1/user/signup",
            json={"username": email, "firstName": "Jo", "lastName": "Urney", "password": PASSWORD},
            headers={"X-Request-ID": sent_id},
        )
        assert signup.headers["X-Request-ID"] == sent_id
        token, refresh = signup.json()["token"], signup.json()["refresh"]
        signin = client.post("/api/v1/user/signin", json={"username": email, "password": PASSWORD})
        failed = client.post(
            "/api/v1/user/signin",
            json={"username": email, "password": "wrong " + PASSWORD},
            headers={"X-Request-ID": "bad id with spaces"},
        )
        assert failed.status_code == 411
        replaced = failed.headers["X-Request-ID"]
        assert replaced != "bad id with spaces" and re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", replaced)
        other = server.signup("Payee")
        auth = {"Authorization": f"Bearer {token}", "Cookie": "sessionid=cookie-value-for-tests"}
        assert (
            client.post(
                "/api/v1/account/transfer", json={"to": other["userId"], "amount": "1.00"}, headers=auth
            ).status_code
            == 200
        )
        assert client.get("/api/v1/account/statement", params={"format": "csv"}, headers=auth).status_code == 200
        assert client.post("/api/v1/user/signout", json={"refresh": refresh}, headers=auth).status_code == 200
    server.stop()  # flush everything the workers wrote
    server.start()

    lines = log.read_text()[start:].splitlines()
    records = [json.loads(line) for line in lines]  # every line is JSON
    assert records and all({"time", "level", "logger", "message", "request_id"} <= set(r) for r in records)
    access = [r for r in records if r["logger"] == "wallet.access"]
    assert all({"method", "route", "status", "duration_ms", "user"} <= set(r) for r in access)
    by_id = {r["request_id"]: r for r in access}
    assert by_id[sent_id]["route"] == "/api/v1/user/signup" and by_id[sent_id]["status"] == 200
    assert by_id[replaced]["status"] == 411 and by_id[replaced]["user"] is None
    transfer_line = next(r for r in access if r["route"] == "/api/v1/account/transfer")
    assert transfer_line["user"] == signup.json()["userId"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", transfer_line["time"])
    assert {"/api/v1/user/signin", "/api/v1/account/statement", "/api/v1/user/signout"} <= {r["route"] for r in access}

    text = "\n".join(lines)
    for secret in (PASSWORD, token, refresh, signin.json()["token"], "cookie-value-for-tests", email):
        assert secret not in text, secret
    assert "Bearer ey" not in text
