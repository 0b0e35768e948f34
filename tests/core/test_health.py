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


def test_healthz_never_shows_the_drivers_message(client, monkeypatch, caplog):
    """Publicly a plain status; what went wrong goes to the log."""
    from django.db.backends.utils import CursorWrapper

    detail = 'connection to server at "127.0.0.1", port 5432 failed: FATAL: database "wallet" does not exist'

    def refuse(*args, **kwargs):
        raise OperationalError(detail)

    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", refuse)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": {"status": "down"}}
    assert "5432" not in response.content.decode() and "FATAL" not in response.content.decode()
    assert "FATAL" in caplog.text


def test_healthz_says_which_postgresql_server_serves(client):
    """With several hosts in DATABASE_URL, the one libpq chose: the primary."""
    from django.db import connection

    from accounts.stores import ledger_store
    from accounts.stores.postgres import PostgresLedgerStore

    if not isinstance(ledger_store(), PostgresLedgerStore):
        pytest.skip("the server is named on PostgreSQL")
    database = client.get("/healthz").json()["database"]
    info = connection.connection.info
    assert database["server"] == f"{info.host}:{info.port}" and database["role"] == "primary"
