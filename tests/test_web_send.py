"""The send page's steps, in-process (the browser tests drive the same pages in Chromium)."""

import re
import uuid

import pytest

from accounts.models import Account, Transfer

pytestmark = pytest.mark.django_db


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
