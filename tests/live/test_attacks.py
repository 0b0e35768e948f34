"""Attacks that need real server processes: brute-force sign-in across several workers
(throttle counts shared through Redis) and oversized bodies."""

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest
import redis

from tests.live.conftest import serve_wallet

pytestmark = pytest.mark.live_server
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ALLOWED = 5


def wait_for_a_fresh_window(window_seconds: int = 60, needed: float = 15) -> None:
    """The server counts attempts per wall-clock minute: start a burst early enough in one
    that it cannot spill into the next (which would grant a second allowance)."""
    into = time.time() % window_seconds
    if into > window_seconds - needed:
        time.sleep(window_seconds - into + 0.5)


def require_redis():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable ({error}): in CI this test must run.")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable")


@contextmanager
def throttled(tmp_path_factory):
    require_redis()
    env = {
        "REDIS_URL": REDIS_URL,
        "AUTH_THROTTLE_RATE": f"{ALLOWED}/min",
        "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}",  # a count of its own
    }
    with serve_wallet("sqlite", tmp_path_factory.mktemp("throttle"), extra_env=env) as wallet:
        yield wallet


@pytest.fixture(scope="module")
def throttled_server(tmp_path_factory):
    with throttled(tmp_path_factory) as wallet:
        yield wallet


@pytest.fixture
def fresh_throttled_server(tmp_path_factory):
    """A throttled server whose count nothing else has touched."""
    with throttled(tmp_path_factory) as wallet:
        yield wallet


def test_brute_force_signin_is_throttled_across_all_workers(throttled_server):
    """Each attempt on a fresh connection, 24 at once: the server spreads them over its 4
    workers, and still exactly the allowance gets through, because the counts live in Redis."""
    body = {"username": "victim@example.com", "password": "guess-1234567"}
    wait_for_a_fresh_window()

    def attempt(_):
        with httpx.Client(base_url=throttled_server.base_url, timeout=30) as client:
            return client.post("/api/v1/user/signin", json=body)

    with ThreadPoolExecutor(max_workers=24) as pool:
        responses = list(pool.map(attempt, range(24)))

    codes = sorted(r.status_code for r in responses)
    assert codes.count(411) == ALLOWED and codes.count(429) == 24 - ALLOWED, codes
    assert set(codes) <= {411, 429}
    assert all(r.json()["message"] for r in responses)
    # The right password does not get through a throttle either.
    with httpx.Client(base_url=throttled_server.base_url, timeout=30) as client:
        assert client.post("/api/v1/user/signin", json=body).status_code == 429


def test_signup_is_throttled_too(throttled_server):
    wait_for_a_fresh_window()
    with httpx.Client(base_url=throttled_server.base_url, timeout=30) as client:
        codes = [client.post("/api/v1/user/signup", json={}).status_code for _ in range(ALLOWED + 3)]
    assert 429 in codes


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory):
    with serve_wallet("sqlite", tmp_path_factory.mktemp("bodies")) as wallet:
        yield wallet


def balance(server, token):
    with server.client(token) as client:
        return client.get("/api/v1/account/balance").json()


@pytest.mark.parametrize("size", [100_000, 1_000_000])
def test_oversized_body_is_refused_with_a_message(plain_server, size):
    person, other = plain_server.signup("Big"), plain_server.signup("Other")
    before = balance(plain_server, person["token"])
    with plain_server.client(person["token"]) as client:
        response = client.post(
            "/api/v1/account/transfer",
            content=b'{"to": "' + other["userId"].encode() + b'", "amount": 1, "pad": "' + b"a" * size + b'"}',
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["message"]
    assert balance(plain_server, person["token"]) == before


def test_huge_body_is_cut_off_without_changing_anything(plain_server):
    """Past a few megabytes the server answers 413 before the client has finished
    sending and closes the connection, so a client may see a reset instead: either
    way nothing moves and the server keeps serving."""
    person, other = plain_server.signup("Huge"), plain_server.signup("Other")
    before = balance(plain_server, person["token"])
    with plain_server.client(person["token"]) as client:
        try:
            response = client.post(
                "/api/v1/account/transfer",
                content=b'{"to": "'
                + other["userId"].encode()
                + b'", "amount": 1, "pad": "'
                + b"a" * 20_000_000
                + b'"}',
                headers={"Content-Type": "application/json"},
            )
            assert response.status_code == 413
        except httpx.TransportError:
            pass
    assert balance(plain_server, person["token"]) == before


def test_oversized_signup_is_refused(plain_server):
    with plain_server.client() as client:
        response = client.post(
            "/api/v1/user/signup",
            content=b'{"firstName": "' + b"x" * 200_000 + b'"}',
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413 and response.json()["message"]


def test_a_20_mb_multipart_sign_in_is_refused_before_it_is_read(plain_server):
    """Multipart file parts are not covered by Django's body limit: the server answers 413
    from the declared length, without reading (or parsing into memory) the 20 MB."""
    files = {"avatar": ("big.bin", b"\0" * 20_000_000, "application/octet-stream")}
    with plain_server.client() as client:
        try:
            response = client.post("/api/v1/user/signin", data={"username": "x@y.z", "password": "p"}, files=files)
            assert response.status_code == 413 and response.json()["code"] == "body_too_large"
        except httpx.TransportError:
            pass  # answered before the client finished sending, and the connection closed
        small = client.post(
            "/api/v1/user/signin", data={"username": "x@y.z", "password": "p"}, files={"f": ("a", b"x")}
        )
    assert small.status_code == 415  # a small multipart is not read either: JSON only
    assert plain_server.client().get("/healthz").status_code == 200


def test_the_console_and_browsable_api_logins_share_the_allowance_across_workers(fresh_throttled_server):
    """Over the allowance through the API, every other door refuses too, whichever worker
    answers (the count is in Redis), the right password included."""
    wait_for_a_fresh_window()
    body = {"username": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": "wrong password"}
    with httpx.Client(base_url=fresh_throttled_server.base_url, timeout=30) as client:
        spent = [client.post("/api/v1/user/signin", json=body).status_code for _ in range(ALLOWED)]
    assert spent == [411] * ALLOWED
    for door in ("/admin/login/", "/api-auth/login/"):
        with httpx.Client(base_url=fresh_throttled_server.base_url, timeout=30) as browser:
            browser.get(door)
            form = {**body, "csrfmiddlewaretoken": browser.cookies["csrftoken"]}
            assert browser.post(door, data=form).status_code == 429, door
