"""`/metrics` in-process (core/metrics.py, core/views.py, the route label of core/middleware.py).
The live test (tests/live/test_observability.py) checks the sums across gunicorn's workers."""

import pytest
from django.test import RequestFactory
from django.urls import resolve

from core import metrics
from core.middleware import route_of

pytestmark = pytest.mark.django_db


def test_loopback_may_scrape_and_anyone_else_needs_the_token(client, settings):
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics").status_code == 403
    settings.METRICS_TOKEN = "t0ken"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t0ken")
    assert allowed.status_code == 200 and allowed["Content-Type"].startswith("text/plain")
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403  # no token set: none works


@pytest.mark.parametrize(
    ("path", "route"),
    [
        (
            "/api/v1/account/requests/0b7c6f3e-1111-4c4c-9d9d-000000000000/pay",
            "/api/v1/account/requests/{request_id}/pay",
        ),
        ("/api/v1/account/transfer", "/api/v1/account/transfer"),
        ("/api/v1/user", "/api/v1/user"),
        ("/pay/0b7c6f3e-1111-4c4c-9d9d-000000000000", "/pay/{public_id}"),
        ("/admin/users/user/12/change/", "/admin/users/user/{object_id}/change/"),
        ("/healthz", "/healthz"),
    ],
)
def test_the_route_label_is_the_pattern_never_the_path(path, route):
    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)
    assert route_of(request) == route


def test_an_unknown_path_is_one_label_whatever_it_is():
    request = RequestFactory().get("/no/such/thing/123")
    assert route_of(request) == "unmatched"


def test_a_database_outage_is_counted(make_person, client_for, monkeypatch):
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    client = client_for(make_person())

    def before():
        return metrics.DATABASE_ERRORS.labels(metrics.UNREACHABLE)._value.get()

    counted = before()

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", refuse)
        assert client.get("/api/v1/account/balance").status_code == 503
    assert before() == counted + 1


def test_movements_count_only_once_committed(make_person, client_for, django_capture_on_commit_callbacks):
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal")
    posted = metrics.MONEY_MOVEMENTS.labels("transfer", metrics.POSTED)._value.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(asha).post(
            "/api/v1/account/transfer", {"to": str(bilal.public_id), "amount": "1.00"}, format="json"
        )
    assert response.status_code == 200
    assert metrics.MONEY_MOVEMENTS.labels("transfer", metrics.POSTED)._value.get() == posted + 1


def test_an_invented_method_is_one_label_whatever_it_is(client, caplog):
    """A client may send any token as its method: counting it as sent would let anyone make a
    series per request (and write text of their choosing into the access line)."""

    def counted(method):
        return metrics.HTTP_REQUESTS.labels(method, "/healthz", "200")._value.get()

    before = counted("OTHER")
    with caplog.at_level("INFO", logger="wallet.access"):
        for invented in ("BREW", "PASSWORD=hunter2"):
            assert client.generic(invented, "/healthz").status_code == 200
    assert counted("OTHER") == before + 2
    assert ("BREW", "/healthz", "200") not in metrics.HTTP_REQUESTS._metrics
    lines = [record for record in caplog.records if record.name == "wallet.access"]
    assert [record.method for record in lines] == ["OTHER", "OTHER"] and "hunter2" not in caplog.text
