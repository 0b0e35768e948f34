"""One place that turns every failure into the contract's error shape: `{message, errors?}`."""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DatabaseError, IntegrityError
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from paytm_site.errors import DatabaseUnavailable, ServiceError

logger = logging.getLogger(__name__)

MESSAGE_NOT_FOUND = "Not found"
MESSAGE_BODY_TOO_LARGE = "Request body too large"
MESSAGE_SERVER_ERROR = "Internal server error"
MESSAGE_THROTTLED = "Too many requests, please slow down"


def api_exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(exc.body(), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response({"message": MESSAGE_BODY_TOO_LARGE}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, DatabaseError) and not isinstance(exc, IntegrityError):
        # The database went away or refused us: a retryable condition, never a 500 page.
        logger.warning("database unavailable: %s", exc)
        return Response(DatabaseUnavailable().body(), status=DatabaseUnavailable.status_code)

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound(MESSAGE_NOT_FOUND)
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's handler500 logs it and answers in JSON
    response.data = _contract_body(exc, response.data)
    if isinstance(exc, drf_exceptions.Throttled):
        response.data["message"] = MESSAGE_THROTTLED
        if exc.wait is not None:
            response.data["retryAfterSeconds"] = int(exc.wait) + 1
    return response


def _contract_body(exc, data) -> dict:
    if isinstance(data, dict) and "detail" in data and len(data) <= 2:
        # InvalidToken carries {"detail", "code"/"messages"}: only the message is for clients.
        return {"message": str(data["detail"])}
    if isinstance(exc, drf_exceptions.ValidationError):
        return {"message": "Invalid input", "errors": data}
    return {"message": str(getattr(exc, "detail", exc))}


def json_not_found(request, exception=None):
    """JSON for API clients; the usual page for people."""
    if request.path.startswith("/api/"):
        return JsonResponse({"message": MESSAGE_NOT_FOUND}, status=404)
    return page_not_found(request, exception)


def json_server_error(request):
    return JsonResponse({"message": MESSAGE_SERVER_ERROR}, status=500)
