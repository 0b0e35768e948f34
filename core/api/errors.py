"""One place that turns every failure of an API view into the contract's `{message, errors?}`.

- a domain error (core.errors.ServiceError): its status and message;
- a database that cannot be reached: 503, retry later;
- DRF's own errors: their status, with one plain sentence as the message (never a dump of
  Python objects), and per-field details under `errors` for invalid input;
- anything else, programming and data errors of the database included, is a bug: this
  handler lets it through, Django logs its traceback and `json_server_error` answers 500
  with a generic message.
"""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found, server_error
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DatabaseUnavailable, ServiceError, is_database_unreachable
from users.exceptions import MESSAGE_NOT_AUTHENTICATED, MESSAGE_TOKEN_INVALID

logger = logging.getLogger(__name__)

MESSAGE_NOT_FOUND = "Not found"
MESSAGE_BODY_TOO_LARGE = "Request body too large"
MESSAGE_SERVER_ERROR = "Internal server error"
MESSAGE_THROTTLED = "Too many requests, please slow down"
MESSAGE_INVALID_INPUT = "Invalid input"
MESSAGE_FORBIDDEN = "You do not have permission to do this"


def api_exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(exc.body(), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response({"message": MESSAGE_BODY_TOO_LARGE}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if is_database_unreachable(exc):
        logger.warning("database unavailable: %s", exc)
        return Response(DatabaseUnavailable().body(), status=DatabaseUnavailable.status_code)

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound(MESSAGE_NOT_FOUND)
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django logs the traceback, json_server_error answers 500
    response.data = {"message": _sentence(exc)}
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data["errors"] = exc.detail if isinstance(exc.detail, dict) else {"body": exc.detail}
    if isinstance(exc, drf_exceptions.Throttled) and exc.wait is not None:
        response.data["retryAfterSeconds"] = int(exc.wait) + 1
    return response


def _sentence(exc: drf_exceptions.APIException) -> str:
    """The one plain sentence a client reads for a DRF error."""
    if isinstance(exc, drf_exceptions.NotAuthenticated):
        return MESSAGE_NOT_AUTHENTICATED
    if isinstance(exc, drf_exceptions.AuthenticationFailed):
        # SimpleJWT's InvalidToken carries a dict of details about which check failed; a
        # client only needs to know that this token will not do.
        return MESSAGE_TOKEN_INVALID
    if isinstance(exc, drf_exceptions.Throttled):
        return MESSAGE_THROTTLED
    if isinstance(exc, drf_exceptions.ValidationError):
        return MESSAGE_INVALID_INPUT
    if isinstance(exc, drf_exceptions.PermissionDenied):
        return MESSAGE_FORBIDDEN
    return exc.detail if isinstance(exc.detail, str) else str(type(exc).default_detail)


def json_not_found(request, exception=None):
    """JSON for API clients; the usual page for people."""
    if request.path.startswith("/api/"):
        return JsonResponse({"message": MESSAGE_NOT_FOUND}, status=404)
    return page_not_found(request, exception)


def json_server_error(request):
    """JSON for API clients; the usual page (templates/500.html) for people."""
    if request.path.startswith("/api/"):
        return JsonResponse({"message": MESSAGE_SERVER_ERROR}, status=500)
    return server_error(request)
