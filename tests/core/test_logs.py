"""Log lines (core/logs.py): JSON with the SPEC's fields, request ids, and no secret in any line."""

import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.logs import _SECRETS, REQUEST_ID, JsonFormatter, TextFormatter, accepted_request_id, redact


def record(message, *args, exc_info=None, **extra):
    made = logging.getLogger("wallet.test").makeRecord(
        "wallet.test", logging.WARNING, __file__, 1, message, args, exc_info
    )
    made.__dict__.update(extra)
    return made


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("Key (email)=(asha.rao@example.com) already exists", "a***@example.com", "asha.rao@example.com"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySWQiOiJ4In0.c2lnbmF0dXJl", "[redacted]", "eyJ"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySWQiOiJ4In0.c2lnbmF0dXJl in a message", "[token]", "eyJhbGci"),
        ('{"username": "x@y.io", "password": "correct horse battery"}', '"password": "[redacted]', "correct horse"),
        ("Cookie: sessionid=abc123; csrftoken=def456", "[redacted]", "abc123"),
        ("sessionid=abc123; csrftoken=def456", "sessionid=[redacted]", "def456"),
        ("Basic dXNlcjpwYXNz sent", "Basic [redacted]", "dXNlcjpwYXNz"),
        ("refresh=eyJhbGciOiJIUzI1NiJ9.eyJ0IjoiciJ9.sig&x=1", "refresh=[redacted]", "eyJhbGci"),
    ],
)
def test_secrets_never_leave_in_a_line(text, kept, gone):
    masked = redact(text)
    assert kept in masked and gone not in masked
    fields = json.loads(JsonFormatter().format(record("seen: %s", text)))
    assert kept in fields["message"] and gone not in fields["message"]


FRAGMENTS = [
    "Bearer ",
    "basic ",
    "BASIC ",
    "eyJhbGci.eyJ0.sig",
    "Password: ",
    "passwd=",
    "SECRET=",
    "token=",
    "Refresh ",
    "Authorization ",
    "cookie:",
    "SessionID=",
    "csrftoken=",
    "asha@example.com",
    "@",
    "x",
    " ",
    "=",
    ":",
    '"',
    "'",
    ";",
    "abc123",
    "GET",
    "/api/v1/account/balance",
    "é",
    "\0",
]


KEYWORDS = ["password", "passwd", "secret", "token", "refresh", "authorization", "cookie", "sessionid", "csrftoken"]
KEYWORD_SECRET = st.builds(  # "SessionID = abc": each keyword alone, in any case, before a value
    lambda word, upper, separator, value: (word.upper() if upper else word) + separator + value,
    st.sampled_from(KEYWORDS),
    st.booleans(),
    st.sampled_from(["=", ": ", " = ", '": "', "_x="]),
    st.text("abcXYZ019._-", min_size=1, max_size=8),
)


@settings(max_examples=400)
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6) | KEYWORD_SECRET, max_size=8).map("".join))
def test_the_quick_look_never_skips_a_secret(text):
    """redact() skips its substitutions when a quick look finds none of the marks; whatever
    the text, that gives what running them all would."""
    every_substitution = text
    for pattern, replacement in _SECRETS:
        every_substitution = pattern.sub(replacement, every_substitution)
    assert redact(text) == every_substitution
    line = json.loads(JsonFormatter().format(record("%s", text, detail=text)))
    assert line["message"] == line["detail"] == every_substitution


def test_a_json_line_has_the_specs_fields_in_utc_and_the_request_id():
    token = REQUEST_ID.set("req-42")
    try:
        line = JsonFormatter().format(record("paid %s", "asha@example.com", route="/api/v1/account/transfer"))
    finally:
        REQUEST_ID.reset(token)
    fields = json.loads(line)
    assert {"time", "level", "logger", "message", "request_id"} <= set(fields)
    assert fields["request_id"] == "req-42" and fields["level"] == "WARNING" and fields["logger"] == "wallet.test"
    assert fields["time"].endswith("Z") and fields["message"] == "paid a***@example.com"
    assert fields["route"] == "/api/v1/account/transfer"


def test_djangos_line_about_an_answer_carries_that_requests_id(client, make_person, caplog, monkeypatch):
    """django.request writes "Service Unavailable: /api/..." once the middleware is done (and
    the request's context with it): the line still names the request it is about."""
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    person = make_person()
    client.force_login(person)
    with monkeypatch.context() as patch, caplog.at_level("WARNING", logger="django.request"):
        patch.setattr(CursorWrapper, "execute", refuse)
        response = client.get("/api/v1/account/balance", HTTP_X_REQUEST_ID="outage-7")
    assert response.status_code == 503
    (answer,) = [r for r in caplog.records if r.name == "django.request"]
    assert json.loads(JsonFormatter().format(answer))["request_id"] == "outage-7"
    assert "[outage-7]" in TextFormatter().format(answer)


def test_tracebacks_are_masked_too():
    try:
        raise ValueError("duplicate key: (email)=(kabir@example.com), password=hunter22")
    except ValueError:
        import sys

        line = JsonFormatter().format(record("failed", exc_info=sys.exc_info()))
    assert "kabir@example.com" not in line and "hunter22" not in line and "k***@example.com" in line
    assert "ValueError" in json.loads(line)["exc_info"]


def test_a_request_object_is_never_written_out():
    from django.test import RequestFactory

    line = JsonFormatter().format(record("Internal Server Error", request=RequestFactory().get("/x?token=abc")))
    assert "abc" not in line and "request" not in json.loads(line)


def test_text_lines_carry_the_request_id_and_are_masked():
    token = REQUEST_ID.set("req-7")
    try:
        line = TextFormatter().format(record("hello %s", "meera@example.com"))
    finally:
        REQUEST_ID.reset(token)
    assert "[req-7]" in line and "m***@example.com" in line


@pytest.mark.parametrize(
    ("sent", "accepted"),
    [
        ("abc-123", "abc-123"),
        ("a.b_c:d-e", "a.b_c:d-e"),
        ("x" * 128, "x" * 128),
        ("x" * 129, None),
        ("has space", None),
        ("semi;colon", None),
        ("ünï", None),
        ("", None),
        (None, None),
        ("line\nbreak", None),
    ],
)
def test_which_request_ids_are_taken_from_the_client(sent, accepted):
    assert accepted_request_id(sent) == accepted


@pytest.mark.django_db
def test_every_response_carries_its_request_id(client):
    sent = client.get("/healthz", HTTP_X_REQUEST_ID="from-the-client")
    assert sent["X-Request-ID"] == "from-the-client"
    made = client.get("/healthz", HTTP_X_REQUEST_ID="not ok!")["X-Request-ID"]
    assert made != "not ok!" and accepted_request_id(made) == made
