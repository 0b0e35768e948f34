"""The Content-Security-Policy middleware (core/middleware.py): the site's policy, built once,
on every answer; anything a response asks of django-csp for itself still works as django-csp
does it."""

import pytest
from csp.constants import HEADER
from csp.decorators import csp_exempt, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from core.middleware import ContentSecurityPolicyMiddleware

SITE_POLICY = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}


def directives(header: str) -> set[str]:
    return set(header.split("; "))


def answered(view, middleware_class=ContentSecurityPolicyMiddleware, path="/"):
    request = RequestFactory().get(path)
    middleware = middleware_class(view)
    return request, middleware(request)


def plain_view(request):
    return HttpResponse("ok")


@pytest.mark.parametrize("path", ["/api/v1/account/balance", "/signin", "/admin/"])
def test_every_answer_carries_the_site_policy_as_django_csp_writes_it(path):
    _, ours = answered(plain_view, path=path)
    _, theirs = answered(plain_view, CSPMiddleware, path=path)
    assert ours[HEADER] == theirs[HEADER] and directives(ours[HEADER]) == SITE_POLICY


def test_a_views_own_policy_is_kept():
    @csp_update({"img-src": ["https://maps.example.com"]})
    def map_view(request):
        return HttpResponse("map")

    _, response = answered(map_view)
    assert "img-src 'self' data: https://maps.example.com" in directives(response[HEADER])


def test_an_exempt_view_gets_no_policy():
    _, response = answered(csp_exempt()(plain_view))
    assert HEADER not in response


@pytest.mark.parametrize("middleware_class", [ContentSecurityPolicyMiddleware, CSPMiddleware])
def test_a_nonce_is_django_csps_before_the_answer_and_refused_after(middleware_class):
    def view_with_nonce(request):
        return HttpResponse(f"<script nonce='{request.csp_nonce}'>")

    request, response = answered(view_with_nonce, middleware_class)
    assert request._csp_nonce and directives(response[HEADER]) == SITE_POLICY  # no 'nonce-' source asked
    late, _ = answered(plain_view, middleware_class)
    with pytest.raises(CSPNonceError):
        str(late.csp_nonce)
