import logging

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from core.clock import INDIA
from core.errors import DatabaseUnavailable, Unavailable, is_database_unreachable

logger = logging.getLogger(__name__)

MESSAGE_BODY_TOO_LARGE = "Request body too large"
PAGE_UNAVAILABLE = "We're briefly unavailable. Nothing was sent or changed; please try again in a moment."
RETRY_AFTER_SECONDS = "5"


def unavailable_of(exception: BaseException) -> Unavailable | None:
    """The outage an exception means, or None when it is no outage (then it is a bug)."""
    if isinstance(exception, Unavailable):
        return exception
    if is_database_unreachable(exception):
        return DatabaseUnavailable()
    return None


class UnavailableMiddleware:
    """An outage (the database down or restarting, too busy, unable to run transactions) is
    a 503 with a message on every path: the API's handler does this for API views, this
    covers pages and the console. Any other error goes on to Django's 500 handling, which
    logs its traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        outage = unavailable_of(exception)
        if outage is None:
            return None
        logger.warning("unavailable (%s): %s", outage.code, exception)
        if request.path.startswith("/api/"):
            response = JsonResponse(outage.body(), status=503)
        else:
            response = HttpResponse(
                f"<!doctype html><title>Unavailable</title><h1>We'll be right back</h1><p>{PAGE_UNAVAILABLE}</p>",
                status=503,
            )
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response


class IndiaTimeForPeopleMiddleware:
    """Pages and the operators' console show times in India time; the API keeps UTC, which
    its clients (written for the original app) expect."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            return self.get_response(request)
        with timezone.override(INDIA):
            return self.get_response(request)


class PersonalDataNotStoredMiddleware:
    """No browser or proxy keeps a copy of a person's data: every API answer (balances,
    history, statements, requests, tokens: RFC 6749 asks tokens never be cached) and every
    page shown to a signed-in person is `Cache-Control: no-store`, so after signing out the
    Back button asks the server again instead of showing the balance from its cache.
    "Signed in" is read from the session cookie, not the session: deciding must never need
    the database (this also runs on the 503 page of a database that is down)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/") or settings.SESSION_COOKIE_NAME in request.COOKIES:
            add_never_cache_headers(response)
        return response


class BodySizeLimitMiddleware:
    """A body declared larger than DATA_UPLOAD_MAX_MEMORY_SIZE is refused with 413 before a
    byte of it is read, whatever its type and whoever would read it (a multipart file part is
    not covered by Django's own check)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if limit is not None and declared > limit:
            if request.path.startswith("/api/"):
                response = JsonResponse({"message": MESSAGE_BODY_TOO_LARGE, "code": "body_too_large"}, status=413)
            else:
                response = HttpResponse(
                    f"<!doctype html><title>Too large</title><p>{MESSAGE_BODY_TOO_LARGE}</p>", status=413
                )
            response["Connection"] = "close"  # the body is not read: the connection cannot be reused
            return response
        return self.get_response(request)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, leaving the session alone on a 5xx answer: it would not save it, but with
    SESSION_SAVE_EVERY_REQUEST (the idle timeout) it still reads it first, and with the
    database down that read turned our 503 page into a 500."""

    def process_response(self, request, response):
        if response.status_code >= 500:
            return response
        return super().process_response(request, response)
