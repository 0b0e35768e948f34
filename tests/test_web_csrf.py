"""CSRF and session rules of the pages, in-process (the browser tests cover the rest)."""

import uuid

import pytest
from django.test import Client

from accounts.models import Account
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


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


def test_rupees_on_the_dashboard_use_indian_grouping(make_person, client):
    person = make_person(grant=1_000_000)
    client.force_login(person)
    assert "₹10,000.00" in client.get("/dashboard").content.decode()


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
