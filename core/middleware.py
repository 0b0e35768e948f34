import functools
import logging
import re
import time
import uuid

from csp.constants import HEADER as CSP_HEADER
from csp.constants import HEADER_REPORT_ONLY as CSP_HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpResponse, JsonResponse, RawPostDataException, UnreadablePostError
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.functional import SimpleLazyObject, cached_property, empty

from core import metrics
from core.clock import INDIA
from core.errors import DatabaseUnavailable, Unavailable, is_database_unreachable
from core.logs import REQUEST_ID, accepted_request_id

logger = logging.getLogger(__name__)

MESSAGE_BODY_TOO_LARGE = "Request body too large"
PAGE_UNAVAILABLE = "We're briefly unavailable. Nothing was sent or changed; please try again in a moment."
RETRY_AFTER_SECONDS = "5"


def unavailable_of(exception: BaseException) -> Unavailable | None:
    """The outage an exception means, or None when it is no outage (then it is a bug). A
    database that cannot be reached is counted (wallet_database_errors_total{kind="unreachable"})."""
    if isinstance(exception, Unavailable):
        if isinstance(exception, DatabaseUnavailable):
            metrics.record_database_error(metrics.UNREACHABLE)
        return exception
    if is_database_unreachable(exception):
        metrics.record_database_error(metrics.UNREACHABLE)
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


# What a view or a template may ask of django-csp for one response; none of ours does.
_CSP_PER_RESPONSE = ("_csp_exempt", "_csp_exempt_ro", "_csp_config", "_csp_update", "_csp_replace")
_CSP_PER_RESPONSE += tuple(f"{name}_ro" for name in _CSP_PER_RESPONSE[2:])


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's, with the site's policy (CONTENT_SECURITY_POLICY) built once per process:
    django-csp builds it afresh for every response, which cost more than some whole API
    answers. A response that asks for anything of its own (a nonce, a view's decorator, an
    excluded prefix, Django's debug pages) goes through django-csp's own code unchanged."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.site_policy = build_policy(), build_policy(report_only=True)
        self.plain = not any(
            (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES")
            for name in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
        )

    def process_response(self, request, response):
        if (
            not self.plain
            or settings.DEBUG
            or request.__dict__.get("_csp_nonce") is not None
            or any(hasattr(response, name) for name in _CSP_PER_RESPONSE)
        ):
            return super().process_response(request, response)
        enforced, report_only = self.site_policy
        if enforced and CSP_HEADER not in response:
            response[CSP_HEADER] = enforced
        if report_only and CSP_HEADER_REPORT_ONLY not in response:
            response[CSP_HEADER_REPORT_ONLY] = report_only
        request.csp_nonce = self.nonce_after_response
        return response

    @cached_property
    def nonce_after_response(self):
        """What django-csp leaves behind: a nonce asked for once the header is written raises."""
        return CheckableLazyObject(self._csp_nonce_post_response)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, leaving the session alone on a 5xx answer: it would not save it, but with
    SESSION_SAVE_EVERY_REQUEST (the idle timeout) it still reads it first, and with the
    database down that read turned our 503 page into a 500."""

    def process_response(self, request, response):
        if response.status_code >= 500:
            return response
        return super().process_response(request, response)


# -- every request: its id, its access line, its figures ----------------------------------------

access_log = logging.getLogger("wallet.access")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")  # path("x/<str:request_id>") -> x/{request_id}
_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")  # re_path's named groups, likewise


# The methods a series or a log line names; any other a client invents is "OTHER", so that
# nobody can make a new series (or put a text of their choosing in a line) per request.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_of(request) -> str:
    return request.method if request.method in KNOWN_METHODS else "OTHER"


def route_of(request) -> str:
    """The URL pattern that answered, as /api/schema/ writes it (`/api/v1/account/requests/
    {request_id}/pay`): never the raw path, whose ids would make a series per request."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.route is None:
        return "/static/{path}" if request.path.startswith(f"/{settings.STATIC_URL.strip('/')}/") else "unmatched"
    return _route_text(match.route)


@functools.lru_cache(maxsize=1024)  # one entry per URL pattern: there are a few dozen
def _route_text(pattern: str) -> str:
    route = _REGEX_GROUP.sub(r"{\1}", _CONVERTER.sub(r"{\1}", pattern))
    return "/" + route.replace("^", "").replace("$", "").replace("\\", "")


def user_of(request) -> str | None:
    """The person's `_id` when the request was authenticated, read without a query (a lazy
    session user nobody looked at stays unread; DRF puts the user it authenticated here)."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return str(getattr(user, "public_id", "")) or None


def drain_unread_body(request, response) -> None:
    """Read what is left of the request's body when the answer came without reading it (a
    401, a 503 before the view ran). The connection is then ready for the client's next
    request: granian otherwise sometimes drops a kept-alive connection whose last body was
    left unread, and the client's next request on it fails without an answer. A body too large
    to read (413, `Connection: close`) is left alone, and so is one the client stopped sending."""
    if "_body" in request.__dict__ or response.get("Connection", "").lower() == "close":
        return
    try:
        while request.read(64 * 1024):
            pass
    except (UnreadablePostError, RawPostDataException):
        pass


class RequestObservationMiddleware:
    """The first middleware: gives the request its id (the client's X-Request-ID when it is
    acceptable, else a new one), returns it on the response, and after the answer writes one
    access line and the request's figures (core/metrics.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request_id = accepted_request_id(request.META.get("HTTP_X_REQUEST_ID")) or uuid.uuid4().hex
        request.request_id = request_id
        token = REQUEST_ID.set(request_id)
        try:
            response = self.get_response(request)
            drain_unread_body(request, response)
            response["X-Request-ID"] = request_id
            seconds = time.perf_counter() - started
            method, route = method_of(request), route_of(request)
            metrics.record_request(method, route, response.status_code, seconds)
            access_log.info(
                "%s %s %s",
                method,
                route,
                response.status_code,
                extra={
                    "method": method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 2),
                    "user": user_of(request),
                },
            )
            return response
        finally:
            REQUEST_ID.reset(token)
