"""Clients written for the original app keep working: the original React app's requests, made
from a page of another origin in Chromium (so CORS is really enforced), exactly as its source
makes them (frontend/src of the teaching project: Signup.jsx, Signin.jsx, Users.jsx,
SendMoney.jsx, Balance.jsx): axios's JSON bodies and headers, the token kept in
localStorage and sent as "Bearer <token>", the amount as the string a number input gives,
and the fields it reads back (`token`, `user[]` with `_id`, `firstName`, `lastName`).
The app itself is not in this repository; its calls are reproduced here."""

import http.server
import socket
import threading
from pathlib import Path

import pytest

from tests.live.conftest import serve_wallet

pytestmark = pytest.mark.live_server
DEV_PORT = 5173  # Vite's, which the original app was served from and our default CORS allows

ORIGINAL_APP_CALLS = (Path(__file__).parent / "original_app_calls.js").read_text()


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def dev_origin():
    """A page served from another origin, like the original app's Vite dev server."""
    port = DEV_PORT if port_is_free(DEV_PORT) else 0

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><title>original app</title><link rel=icon href=data:,>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory, dev_origin):
    # With port 5173 free this is the default configuration, untouched.
    extra = {} if dev_origin.endswith(f":{DEV_PORT}") else {"CORS_ALLOWED_ORIGINS": dev_origin}
    with serve_wallet("sqlite", tmp_path_factory.mktemp("original-client"), extra_env=extra) as wallet:
        yield wallet


def test_the_original_react_apps_calls_work_unchanged(browser, dev_origin, api_server):
    page = browser.new_context().new_page()
    page.goto(dev_origin)
    results = page.evaluate(ORIGINAL_APP_CALLS, api_server.base_url)
    assert results["signupMessage"] == "User created successfully"
    assert results["initial"] == "F" and results["friendIdMatches"]
    assert {"_id", "firstName", "lastName"} <= set(results["userKeys"])
    assert results["transferMessage"] == "Transfer successful"
    assert round(results["balanceBefore"] - results["balanceAfter"], 2) == 12.5
    page.context.close()


def test_a_page_from_an_origin_not_allowed_cannot_call_the_api(browser, api_server):
    """The same calls from an origin CORS does not allow are blocked by the browser."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<!doctype html><title>elsewhere</title><link rel=icon href=data:,>")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_context().new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}")
        with pytest.raises(Exception, match="Failed to fetch"):
            page.evaluate(ORIGINAL_APP_CALLS, api_server.base_url)
        page.context.close()
    finally:
        server.shutdown()
