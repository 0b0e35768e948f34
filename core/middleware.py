from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from core.clock import INDIA
from core.errors import DatabaseUnavailable, is_database_unreachable


class DatabaseUnavailableMiddleware:
    """A database that is down or restarting is a 503 with a message on every path (the
    API's handler already does this for API views; this covers pages and the admin). Any
    other error goes on to Django's 500 handling, which logs its traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unreachable(exception):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(DatabaseUnavailable().body(), status=503)
        response = HttpResponse(
            "<!doctype html><title>Unavailable</title><h1>We'll be right back</h1>"
            f"<p>{DatabaseUnavailable.page_detail}</p>",
            status=503,
        )
        response["Retry-After"] = "5"
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
