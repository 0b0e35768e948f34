"""Everything around the API (core/api/, paytm_site/urls.py): schema and docs, the browsable
API, CORS, errors as JSON, body limits, OPTIONS."""

import json
import re

import pytest
from django.db import OperationalError

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_api_answers_503_not_500_when_the_database_is_unreachable(make_person, client_for, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    client = client_for(make_person())

    def refuse(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", refuse)
        response = client.get("/api/v1/user/bulk")
    assert response.status_code == 503 and response.json()["message"]


def test_openapi_schema_lists_every_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/user/signup",
        "/api/v1/user/signin",
        "/api/v1/user/token/refresh",
        "/api/v1/user",
        "/api/v1/user/bulk",
        "/api/v1/account/balance",
        "/api/v1/account/transfer",
        "/api/v1/account/transactions",
        "/api/v1/user/me",
        "/api/v1/user/signout",
        "/api/v1/account/requests",
        "/api/v1/account/requests/{request_id}/pay",
        "/api/v1/account/requests/{request_id}/decline",
        "/api/v1/account/requests/{request_id}/cancel",
        "/api/v1/account/statement",
    ]:
        assert path in paths, path


def test_swagger_ui_is_served_from_our_own_static_files(client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    # Every script, stylesheet and icon is ours: no address names another host. (Not a search for
    # "cdn": the page carries a random CSRF token, which sometimes spells it.)
    addresses = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert addresses and all(url.startswith(("/static/", "/api/docs/")) for url in addresses), addresses
    # No inline script (Content-Security-Policy): Swagger UI's start-up script is a file of ours.
    assert "<script>" not in page
    (script,) = [url for url in addresses if url.startswith("/api/docs/")]
    started = client.get(script.replace("&amp;", "&"))
    assert started.status_code == 200 and 'url: "/api/schema/"' in started.content.decode()
    assert client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200


def test_browsable_api_renders_html(make_person, client):
    client.force_login(make_person())
    response = client.get("/api/v1/account/balance", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and "text/html" in response["Content-Type"]


def test_cors_preflight_for_configured_origin(client):
    response = client.options(
        "/api/v1/account/transfer",
        HTTP_ORIGIN="http://localhost:5173",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type,idempotency-key",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "idempotency-key" in response["Access-Control-Allow-Headers"]


def test_cors_refuses_unknown_origin(client):
    response = client.options(
        "/api/v1/account/transfer", HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in response


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404 and response.json()["message"]


def test_oversized_body_is_refused(make_person, client_for):
    client = client_for(make_person())
    response = client.generic(
        "POST", "/api/v1/account/transfer", b'{"to": "' + b"x" * 200_000 + b'"}', content_type="application/json"
    )
    assert response.status_code == 413 and response.json() == {
        "message": "Request body too large",
        "code": "body_too_large",
    }


@pytest.mark.parametrize(
    "path", ["/api/v1/user", "/api/v1/account/transfer", "/api/v1/user/signup", "/api/v1/account/balance"]
)
def test_options_describes_the_endpoint_instead_of_failing(make_person, client_for, path):
    response = client_for(make_person()).options(path)
    assert response.status_code == 200 and response.json()["name"]


HUGE_EXPONENT = "1e1000000000000000000"
MALFORMED = "Malformed or unsupported request body"  # more than Decimal can hold: InvalidOperation, an ArithmeticError


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message", "authenticated"),
    [
        ("post", "/api/v1/user/signin", {"username": "x@y.z", "password": "p"}, 411, "Error while logging in", False),
        ("post", "/api/v1/user/signup", {"username": "x@y.z"}, 411, "Email already taken / Incorrect inputs", False),
        ("post", "/api/v1/user/token/refresh", {"refresh": "r"}, 403, "Invalid or expired token", False),
        ("put", "/api/v1/user", {"firstName": "Asha"}, 411, "Error while updating information", True),
        (
            "post",
            "/api/v1/account/transfer",
            {"to": "x", "amount": 1},
            400,
            "Malformed or unsupported request body",
            True,
        ),
        (
            "post",
            "/api/v1/account/requests",
            {"from": "x", "amount": 1},
            400,
            "Malformed or unsupported request body",
            True,
        ),
        ("post", "/api/v1/user/signout", {"everywhere": True}, 400, MALFORMED, True),
    ],
)
def test_a_huge_exponent_anywhere_in_a_json_body_is_that_endpoints_bad_input(
    api, make_person, client_for, method, path, body, status, message, authenticated
):
    """Not only in `amount`: a number Decimal cannot hold, anywhere in the body, makes the body
    malformed, answered as the endpoint answers bad input (it was a 500)."""
    client = client_for(make_person()) if authenticated else api
    raw = json.dumps(body)[:-1] + f', "n": {HUGE_EXPONENT}}}'
    response = getattr(client, method)(path, raw, content_type="application/json")
    assert response.status_code == status and response.json()["message"] == message, response.content


def test_no_answer_with_a_persons_data_is_stored_by_a_browser_or_proxy(make_person, client_for, client):
    person = make_person()
    api = client_for(person)
    for path in (
        "/api/v1/account/balance",
        "/api/v1/user/me",
        "/api/v1/account/transactions",
        "/api/v1/account/statement",
    ):
        assert "no-store" in api.get(path)["Cache-Control"], path
    assert "no-store" in api.get("/api/v1/account/requests")["Cache-Control"]
    client.force_login(person)
    for path in ("/dashboard", "/history", "/profile", "/requests", "/receive"):
        assert "no-store" in client.get(path)["Cache-Control"], path


@pytest.mark.parametrize("path", ["/api/v1/user/signin", "/api/v1/user/signup", "/api/v1/account/transfer"])
def test_multipart_bodies_are_refused_with_415(make_person, client_for, path):
    """Their file parts escaped the body size limit while parsed; the API reads JSON (and the
    url-encoded forms of the browsable API)."""
    response = client_for(make_person()).post(path, {"username": "x@y.z", "password": "p", "to": "x", "amount": "1"})
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type" and "JSON" in response.json()["message"]


def test_url_encoded_forms_still_work(api, make_person):
    from urllib.parse import urlencode

    person = make_person(email="form@example.com")
    form = urlencode({"username": person.email, "password": PASSWORD})
    response = api.post("/api/v1/user/signin", form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content


def test_a_body_declared_larger_than_the_limit_is_refused_before_it_is_read(client, settings):
    response = client.generic(
        "POST",
        "/api/v1/user/signin",
        b"{}",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(20 * 1024 * 1024),
    )
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


def test_the_browsable_api_posts_its_forms_url_encoded(make_person, client):
    client.force_login(make_person())
    page = client.get("/api/v1/account/transfer", HTTP_ACCEPT="text/html").content.decode()
    assert "/static/core/browsable-api.js" in page
    assert client.get("/static/core/browsable-api.js").status_code == 200
