"""Errors mapped once, exactly: an unreachable database is 503 (retry later); a programming
or data error is a bug, answered 500 with a generic message and logged with its traceback,
never reported as an outage. The same rule holds for the API, the pages and the admin."""

import logging
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, OperationalError, ProgrammingError
from django.db.backends.utils import CursorWrapper
from pymongo.errors import AutoReconnect, OperationFailure, ServerSelectionTimeoutError

from accounts.stores.errors import UniqueViolation
from core.api.errors import MESSAGE_SERVER_ERROR
from core.errors import DatabaseUnavailable, is_database_unreachable
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def wrapped(cause) -> DatabaseError:
    """What django-mongodb-backend raises for a pymongo error met inside a query."""
    error = DatabaseError()
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "error, unreachable",
    [
        (OperationalError("server closed the connection unexpectedly"), True),
        (InterfaceError("connection already closed"), True),
        (ServerSelectionTimeoutError("No servers found"), True),
        (AutoReconnect("connection reset"), True),
        (wrapped(ServerSelectionTimeoutError("No servers found")), True),
        (ProgrammingError('relation "accounts_account" does not exist'), False),
        (DataError("value too long for type character varying(50)"), False),
        (IntegrityError("duplicate key value"), False),
        (wrapped(OperationFailure("unknown operator: $foo")), False),
        (DatabaseError("something else"), False),
        (KeyError("a bug"), False),
    ],
)
def test_what_counts_as_the_database_being_unreachable(error, unreachable):
    assert is_database_unreachable(error) is unreachable


@pytest.fixture
def failing_queries(monkeypatch):
    """`with failing_queries(error):` every SQL statement in the block raises `error`."""

    @contextmanager
    def fail_with(error):
        def refuse(*args, **kwargs):
            raise error

        with monkeypatch.context() as patch:
            patch.setattr(CursorWrapper, "execute", refuse)
            yield

    return fail_with


@pytest.mark.parametrize("error", [OperationalError("connection refused"), InterfaceError("connection already closed")])
def test_api_answers_503_when_the_database_cannot_be_reached(make_person, client_for, failing_queries, error):
    client = client_for(make_person())
    with failing_queries(error):
        response = client.get("/api/v1/user/bulk")
    assert response.status_code == 503 and response.json() == DatabaseUnavailable().body()


@pytest.mark.parametrize(
    "error", [ProgrammingError('column "frozen" does not exist'), DataError("integer out of range"), KeyError("x")]
)
def test_api_answers_500_for_a_bug_and_logs_its_traceback(make_person, client_for, failing_queries, caplog, error):
    client = client_for(make_person())
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"), failing_queries(error):
        response = client.get("/api/v1/user/bulk")
    assert response.status_code == 500
    assert response.json() == {
        "message": MESSAGE_SERVER_ERROR,
        "code": "server_error",
        "requestId": response["X-Request-ID"],
    }
    assert str(error) not in response.content.decode()  # no internal detail for the client
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info and record.exc_info[0] is type(error)  # the traceback is logged


def test_pages_answer_503_when_the_database_cannot_be_reached(make_person, client, failing_queries):
    client.force_login(make_person())
    with failing_queries(OperationalError("connection refused")):
        response = client.get("/dashboard")
    assert response.status_code == 503 and "Nothing was sent or changed" in response.content.decode()


def test_pages_answer_500_for_a_bug(make_person, client, failing_queries):
    client.force_login(make_person())
    client.raise_request_exception = False
    with failing_queries(ProgrammingError('relation "accounts_account" does not exist')):
        response = client.get("/dashboard")
    assert response.status_code == 500 and "Something went wrong on our side" in response.content.decode()


def signup(api, email="meera@example.com"):
    body = {"username": email, "firstName": "Meera", "lastName": "Iyer", "password": PASSWORD}
    return api.post("/api/v1/user/signup", body, format="json")


def test_signup_clash_on_the_email_is_email_taken(api, monkeypatch):
    import accounts.services

    def email_clash(**kwargs):
        raise UniqueViolation(frozenset({"email"}))

    monkeypatch.setattr("users.services.account_open_with_grant", email_clash)
    response = signup(api)
    assert response.status_code == 411 and response.json()["errors"] == {"username": ["Email already taken"]}
    assert accounts.services  # the real service is untouched elsewhere


def test_signup_clash_on_anything_else_is_a_bug(api, monkeypatch, caplog):
    def other_clash(**kwargs):
        raise UniqueViolation(frozenset({"public_id"}))

    monkeypatch.setattr("users.services.account_open_with_grant", other_clash)
    api.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = signup(api)
    assert response.status_code == 500
    assert response.json() == {
        "message": MESSAGE_SERVER_ERROR,
        "code": "server_error",
        "requestId": response["X-Request-ID"],
    }
