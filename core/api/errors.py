"""One place that turns every failure of an API view into the contract's `{message, code, errors?}`.

- a domain error (core.errors.ServiceError): its status, message and code;
- an outage (core.errors.Unavailable, or a database that cannot be reached): 503, retry later;
- DRF's own errors: their status, with one plain sentence as the message (never a dump of
  Python objects), and per-field details under `errors` for invalid input;
- anything else, programming and data errors of the database included, is a bug: this
  handler lets it through, Django logs its traceback and `json_server_error` answers 500
  with a generic message.
`code` is additive: clients written for the original app read `message` only.
"""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found, server_error
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ServiceError
from core.middleware import MESSAGE_BODY_TOO_LARGE, RETRY_AFTER_SECONDS, unavailable_of

logger = logging.getLogger(__name__)

MESSAGE_NOT_FOUND = "Not found"
MESSAGE_SERVER_ERROR = "Internal server error"
MESSAGE_THROTTLED = "Too many requests, please slow down"
MESSAGE_INVALID_INPUT = "Invalid input"
MESSAGE_FORBIDDEN = "You do not have permission to do this"
MESSAGE_TOKEN_INVALID = "Invalid or expired token"
MESSAGE_NOT_AUTHENTICATED = "Authentication credentials were not provided"

# DRF's errors: (class, the sentence a client reads, the code). The first match wins.
DRF_ERRORS = [
    (drf_exceptions.NotAuthenticated, MESSAGE_NOT_AUTHENTICATED, "not_authenticated"),
    # SimpleJWT's InvalidToken carries a dict of details about which check failed; a client
    # only needs to know that this token will not do.
    (drf_exceptions.AuthenticationFailed, MESSAGE_TOKEN_INVALID, "token_invalid"),
    (drf_exceptions.Throttled, MESSAGE_THROTTLED, "throttled"),
    (drf_exceptions.ValidationError, MESSAGE_INVALID_INPUT, "invalid_input"),
    (drf_exceptions.PermissionDenied, MESSAGE_FORBIDDEN, "forbidden"),
    (drf_exceptions.NotFound, MESSAGE_NOT_FOUND, "not_found"),
]


def api_exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(exc.body(), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        body = {"message": MESSAGE_BODY_TOO_LARGE, "code": "body_too_large"}
        return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    outage = unavailable_of(exc)
    if outage is not None:
        logger.warning("unavailable (%s): %s", outage.code, exc)
        return Response(
            outage.body(), status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": RETRY_AFTER_SECONDS}
        )

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound(MESSAGE_NOT_FOUND)
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django logs the traceback, json_server_error answers 500
    message, code = _sentence(exc)
    response.data = {"message": message, "code": code}
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data["errors"] = exc.detail if isinstance(exc.detail, dict) else {"body": exc.detail}
    if isinstance(exc, drf_exceptions.Throttled) and exc.wait is not None:
        response.data["retryAfterSeconds"] = int(exc.wait) + 1
    return response


def _sentence(exc: drf_exceptions.APIException) -> tuple[str, str]:
    """The one plain sentence a client reads for a DRF error, and its code."""
    for kind, message, code in DRF_ERRORS:
        if isinstance(exc, kind):
            return message, code
    detail = exc.detail if isinstance(exc.detail, str) else str(type(exc).default_detail)
    return detail, str(exc.default_code)


def json_not_found(request, exception=None):
    """JSON for API clients; the usual page for people."""
    if request.path.startswith("/api/"):
        return JsonResponse({"message": MESSAGE_NOT_FOUND, "code": "not_found"}, status=404)
    return page_not_found(request, exception)


def json_server_error(request):
    """JSON for API clients; the usual page (templates/500.html) for people."""
    if request.path.startswith("/api/"):
        # The request id ties what the client saw to the traceback in the log.
        body = {
            "message": MESSAGE_SERVER_ERROR,
            "code": "server_error",
            "requestId": getattr(request, "request_id", None),
        }
        return JsonResponse(body, status=500)
    return server_error(request)
