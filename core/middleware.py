import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from core.clock import INDIA
from core.errors import DatabaseUnavailable, Unavailable, is_database_unreachable

logger = logging.getLogger(__name__)

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
