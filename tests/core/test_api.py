"""Everything around the API (core/api/, paytm_site/urls.py): schema and docs, the browsable
API, CORS, errors as JSON, body limits, OPTIONS."""

import re

import pytest
from django.db import OperationalError

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
    assert addresses and all(url.startswith("/static/") for url in addresses), addresses
    assert 'url: "/api/schema/"' in page
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
