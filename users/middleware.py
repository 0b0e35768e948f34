"""The doors that check a password outside the JSON API (whose sign-in and sign-up DRF
throttles: users/views.py) share its allowance: each attempt there counts, and an address
over its allowance gets 429 before any password is checked."""

from django.http import HttpResponse, JsonResponse

from users.throttling import AuthRateThrottle

MESSAGE_THROTTLED = "Too many attempts from your network. Please wait a minute and try again."


def _always(request) -> bool:
    return True


def _password_form(request) -> bool:
    return request.POST.get("form") == "password"  # the profile page's password change


# URL name -> which POSTs to it check a password.
PASSWORD_DOORS = {
    "signin": _always,
    "signup": _always,
    "profile": _password_form,
    "admin:login": _always,
    "rest_framework:login": _always,
}


class PasswordDoorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # After URL resolution (Django's own, once per request), before any view checks a
        # password: no second resolve on every POST.
        if request.method == "POST" and self._is_door(request):
            throttle = AuthRateThrottle()
            if not throttle.allow_request(request):
                return self._refused(request, throttle.wait())
        return None

    def _is_door(self, request) -> bool:
        checks = PASSWORD_DOORS.get(request.resolver_match.view_name)
        return checks is not None and checks(request)

    def _refused(self, request, wait: float | None) -> HttpResponse:
        retry_after = str(int(wait or 60) + 1)
        if "application/json" in request.headers.get("Accept", ""):
            response = JsonResponse({"message": MESSAGE_THROTTLED, "code": "throttled"}, status=429)
        else:
            response = HttpResponse(
                "<!doctype html><title>Too many attempts</title><h1>Too many attempts</h1>"
                f'<p>{MESSAGE_THROTTLED}</p><p><a href="{request.path}">Back</a></p>',
                status=429,
            )
        response["Retry-After"] = retry_after
        return response
