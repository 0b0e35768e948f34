"""The pages (web/views.py), in-process: the send page's steps, CSRF and session rules (the
browser tests in tests/live/ drive the same pages in Chromium)."""

import re
import uuid

import pytest
from django.test import Client

from accounts.models import Account, Transfer
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


# -- sending money --------------------------------------------------------------------------


@pytest.fixture
def pair(make_person):
    return make_person("Asha", "Rao", grant=10_000), make_person("Bilal", "Khan", grant=5_000)


def confirm_form(amount="12.50", key=None):
    return {"amount": amount, "step": "confirm", "idempotency_key": key or uuid.uuid4().hex}


def test_submitting_a_confirmation_again_says_it_was_already_sent_and_when(pair, client):
    asha, bilal = pair
    client.force_login(asha)
    form = confirm_form()
    first = client.post(f"/send?id={bilal.public_id}", form, follow=True)
    assert "Sent ₹12.50 to Bilal Khan" in first.content.decode()

    again = client.post(f"/send?id={bilal.public_id}", form, follow=True)  # back, then confirm again

    page = again.content.decode()
    transfer = Transfer.objects.get(kind="transfer")
    when = transfer.created_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Kolkata"))
    assert "Already sent: ₹12.50 to Bilal Khan on" in page and "Nothing more was sent" in page
    assert f"{when:%H:%M}" in page and str(when.day) in page
    assert "Sent ₹12.50" not in page
    assert Account.objects.get(user=asha).balance == 10_000 - 1_250
    assert Transfer.objects.filter(kind="transfer").count() == 1


def test_an_amount_above_the_balance_is_refused_at_the_amount_step(pair, client):
    asha, bilal = pair
    client.force_login(asha)
    response = client.post(f"/send?id={bilal.public_id}", {"amount": "100.01", "idempotency_key": uuid.uuid4().hex})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_amount-error"' in page and "Insufficient balance" in page
    assert 'id="confirm-send"' not in page  # no confirmation step offered
    assert (
        client.post(
            f"/send?id={bilal.public_id}", {"amount": "100.00", "idempotency_key": uuid.uuid4().hex}
        ).status_code
        == 200
    )


def test_the_confirmation_still_decides_under_the_lock(pair, client, monkeypatch):
    """The balance the page read was already stale when "Confirm" was pressed: the transfer
    refuses it under the lock, and the page offers a fresh form key, so that a new attempt
    is not taken for a replay of this refused one."""
    asha, bilal = pair
    client.force_login(asha)
    monkeypatch.setattr("web.views.balance_get", lambda user: 1_000_000)
    form = confirm_form(amount="150.00")
    response = client.post(f"/send?id={bilal.public_id}", form)
    page = response.content.decode()
    assert response.status_code == 400 and "Insufficient balance" in page
    fresh_key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    assert fresh_key != form["idempotency_key"]
    assert Transfer.objects.filter(kind="transfer").count() == 0
    retry = client.post(f"/send?id={bilal.public_id}", confirm_form(amount="50.00", key=fresh_key))
    assert retry.status_code == 302 and Account.objects.get(user=asha).balance == 5_000


def test_a_frozen_sender_is_told_so_on_the_page(pair, client):
    asha, bilal = pair
    Account.objects.filter(user=asha).update(frozen=True)
    client.force_login(asha)
    response = client.post(f"/send?id={bilal.public_id}", confirm_form(amount="1.00"))
    assert response.status_code == 400 and "Your wallet is frozen" in response.content.decode()
    assert Transfer.objects.filter(kind="transfer").count() == 0


def test_the_favicon_is_served_and_linked(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response["Location"])
    assert icon.status_code == 200 and b"<svg" in b"".join(icon.streaming_content)
    page = client.get("/signin").content.decode()
    assert f'<link rel="icon" href="{response["Location"]}"' in page


# -- CSRF and sessions ----------------------------------------------------------------------


def test_signin_form_without_csrf_token_is_refused(make_person):
    person = make_person()
    client = Client(enforce_csrf_checks=True)
    response = client.post("/signin", {"email": person.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_payment_without_csrf_token_moves_nothing(make_person):
    asha, bilal = make_person("Asha", "R", grant=10_000), make_person("Bilal", "K")
    client = Client(enforce_csrf_checks=True)
    client.force_login(asha)
    response = client.post(
        f"/send?id={bilal.public_id}", {"amount": "5", "step": "confirm", "idempotency_key": uuid.uuid4().hex}
    )
    assert response.status_code == 403
    assert Account.objects.get(user=asha).balance == 10_000


def test_pages_need_a_session(client):
    for path in ["/dashboard", "/send?id=x"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/signin")


def test_signout_is_post_only(make_person, client):
    client.force_login(make_person())
    assert client.get("/signout").status_code == 405


def test_tampered_form_key_is_refused_not_a_500(make_person, client):
    asha, bilal = make_person("Asha", "R", grant=10_000), make_person("Bilal", "K")
    client.force_login(asha)
    response = client.post(f"/send?id={bilal.public_id}", {"amount": "5", "step": "confirm", "idempotency_key": "x y"})
    assert response.status_code == 400
    assert Account.objects.get(user=asha).balance == 10_000


def test_signin_redirect_never_leaves_the_site(make_person, client):
    person = make_person()
    response = client.post("/signin?next=https://evil.example/", {"email": person.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard"


def test_payment_while_the_database_is_busy_says_so_and_can_be_retried(make_person, client, monkeypatch):
    import web.views
    from accounts.stores.errors import DatabaseBusy

    asha, bilal = make_person("Asha", "R", grant=10_000), make_person("Bilal", "K")
    client.force_login(asha)
    key = uuid.uuid4().hex
    form = {"amount": "5", "step": "confirm", "idempotency_key": key}

    def busy(**kwargs):
        raise DatabaseBusy()

    with monkeypatch.context() as patch:
        patch.setattr(web.views, "transfer_create", busy)
        response = client.post(f"/send?id={bilal.public_id}", form)
    assert response.status_code == 503 and "Nothing was sent" in response.content.decode()
    assert f'value="{key}"' in response.content.decode()  # the retry keeps the key
    assert Account.objects.get(user=asha).balance == 10_000
    assert client.post(f"/send?id={bilal.public_id}", form).status_code == 302
    assert Account.objects.get(user=asha).balance == 9_500


# -- nothing inline, for the Content-Security-Policy --------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def assert_nothing_inline(html: str, where: str) -> None:
    """The policy allows scripts and styles from this site's files only: no <script> without
    src, no onclick=…, no <style>, no style=… (each would be blocked, and the page break)."""
    assert not INLINE_SCRIPT.search(html), (where, INLINE_SCRIPT.search(html).group(0))
    assert not INLINE_HANDLER.search(html), (where, INLINE_HANDLER.search(html).group(0))
    assert not STYLE_ATTRIBUTE.search(html), (where, STYLE_ATTRIBUTE.search(html).group(0))
    assert "<style" not in html.lower(), where


def test_no_page_has_inline_script_or_style(pair, client, client_for):
    asha, bilal = pair
    asked = client_for(bilal).post(
        "/api/v1/account/requests", {"from": str(asha.public_id), "amount": "1.00"}, format="json"
    )
    assert asked.status_code == 200
    for path in ("/signin", "/signup"):
        assert_nothing_inline(client.get(path).content.decode(), path)
    client.force_login(asha)
    pages = [
        "/dashboard",
        f"/send?id={bilal.public_id}",
        f"/send?id={uuid.uuid4()}",
        "/requests",
        f"/requests?id={bilal.public_id}",
        "/requests?filter=Bil",
        "/receive",
        "/history",
        "/profile",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert_nothing_inline(response.content.decode(), path)
    confirm = client.post(f"/send?id={bilal.public_id}", {"amount": "1.00", "idempotency_key": uuid.uuid4().hex})
    assert 'id="confirm-send"' in confirm.content.decode()
    assert_nothing_inline(confirm.content.decode(), "the confirmation")


def test_the_pages_scripts_are_files_loaded_deferred(pair, client):
    asha, bilal = pair
    client.force_login(asha)
    scripts = {
        "/dashboard": "web/dashboard.js",
        f"/send?id={bilal.public_id}": "web/once.js",
        "/requests": "web/once.js",
        "/receive": "web/receive.js",
    }
    for path, script in scripts.items():
        assert f'<script src="/static/{script}" defer></script>' in client.get(path).content.decode(), path


def test_the_error_page_has_no_inline_style():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert_nothing_inline(html, "500.html")
    assert "Something went wrong on our side" in html and "/static/web/app.css" in html


def test_the_api_pages_have_no_inline_script_or_style(pair, client, settings):
    """Swagger UI and the browsable API, under the same policy (their templates are
    overridden in core/templates/, listed before rest_framework and drf_spectacular)."""
    asha, _ = pair
    pages = ["/api/docs/", "/api-auth/login/", "/api/v1/user/bulk"]
    client.force_login(asha)
    pages += ["/api/v1/account/balance", "/api/v1/account/requests", "/api/v1/user/me"]
    for path in pages:
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, path
        assert_nothing_inline(response.content.decode(), path)


def test_a_refused_form_says_so_without_inline_style(pair):
    """Django's own CSRF failure page styles itself in a <style> element."""
    csrf_checked = Client(enforce_csrf_checks=True)
    response = csrf_checked.post("/signin", {"email": "asha@example.com", "password": PASSWORD})
    assert response.status_code == 403
    html = response.content.decode()
    assert "This form has expired" in html and "Nothing was sent" in html
    assert_nothing_inline(html, "the CSRF failure page")
