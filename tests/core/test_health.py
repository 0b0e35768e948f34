"""`/healthz` (core/health.py, core/views.py): 200 with the database's status, 503 when it
cannot serve, and never a driver's message."""

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"]["status"] == "up"


def test_healthz_is_503_when_database_is_unreachable(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", refuse)
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"]["status"] == "down"
