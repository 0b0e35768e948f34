"""Logs as one JSON object per line (LOG_FORMAT=json, the default of `make serve`; plain text for
`make run`), each with `time` (ISO 8601, UTC), `level`, `logger`, `message` and `request_id`,
and never a secret: passwords, tokens, `Authorization` and cookie values, and full emails are
masked in every line, the tracebacks included, whatever logger wrote it.

The request id of the request being answered lives in a context variable (set by
core.middleware.RequestObservationMiddleware); lines written outside a request carry null.
This module imports nothing of Django's, so a server's master process can use it for its own lines."""

import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime

from pythonjsonlogger.orjson import OrjsonFormatter as BaseJsonFormatter

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
_ACCEPTED_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# What never leaves in a log line, however it got into one (an exception's message quoting a
# row, a query string, a header echoed by a library), and what it becomes.
_SECRETS = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[token]"),  # a JWT
    (
        re.compile(
            r"""(?i)((?:password|passwd|secret|token|refresh|authorization|cookie|sessionid|csrftoken)\w*"""
            r"""["']?\s*[:=]\s*["']?)([^"'\s,;&}]+)"""
        ),
        r"\1[redacted]",
    ),
    # An email keeps its first character and its domain: enough to tell people apart in a log.
    (
        re.compile(
            r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
        ),
        r"\1***@\2",
    ),
]


# Every text any of _SECRETS could change holds one of these, lowercased: looking for them
# decides whether the four substitutions need to run at all (most lines never need them).
_SECRET_MARKS = (
    "bearer",
    "basic",
    "eyj",
    "passw",
    "secret",
    "token",
    "refresh",
    "authoriz",
    "cookie",
    "session",
    "@",
)


def may_hold_secret(text: str) -> bool:
    lowered = text.lower()
    return any(mark in lowered for mark in _SECRET_MARKS)


def redact(text: str) -> str:
    if not may_hold_secret(text):
        return text
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def accepted_request_id(value: str | None) -> str | None:
    """The client's X-Request-ID when it is 1 to 128 letters, digits, `.`, `_`, `:` or `-`."""
    return value if value and _ACCEPTED_REQUEST_ID.match(value) else None


def request_id_of(record: logging.LogRecord) -> str | None:
    """The id of the request being answered; for Django's own line about an answer (written
    once the middleware, and so the context, is done) the id of the request it names."""
    return REQUEST_ID.get() or getattr(getattr(record, "request", None), "request_id", None)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = request_id_of(record)
        return redact(super().format(record))


class JsonFormatter(BaseJsonFormatter):
    """python-json-logger's (encoding with orjson), with the SPEC's field names and times in
    UTC; every string field is masked before it is encoded (the traceback included), so the
    line stays valid JSON."""

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = request_id_of(record)
        return super().format(record)

    def process_log_record(self, log_data):
        texts = [value for value in log_data.values() if isinstance(value, str)]
        if not may_hold_secret("\0".join(texts)):  # one look at the whole line, usually the only one
            return log_data
        return {key: redact(value) if isinstance(value, str) else value for key, value in log_data.items()}

    def __init__(self):
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            # Django's request logger adds the request object itself: its repr holds the query
            # string, which is nobody's business in a log.
            reserved_attrs=[*BaseJsonFormatter().reserved_attrs, "request"],
        )

    def formatTime(self, record, datefmt=None):
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING setting (and the servers' own: gunicorn's logconfig_dict, granian's
    log_dictconfig): everything to standard error.
    Python's warnings go through logging too, so that every line is in the one format."""
    logging.captureWarnings(True)
    formatter = "json" if log_format == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}, "text": {"()": TextFormatter}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": formatter}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # Our own access line replaces Django's "Not Found: /x" and the servers' access logs.
            "django.request": {"level": "ERROR"},
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "_granian": {"handlers": ["console"], "level": level, "propagate": False},  # granian's own lines
            "granian.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }
