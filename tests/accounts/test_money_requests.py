"""Money requests over the API: ask, list, pay (once, with Idempotency-Key), decline, cancel,
expire by the clock; other people's requests are 404 and reveal nothing. (Races on a live
server: tests/live/test_request_races.py.)"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Account, MoneyRequest, Transfer
from accounts.operations import wallet_set_frozen

pytestmark = pytest.mark.django_db
REQUESTS = "/api/v1/account/requests"


@pytest.fixture
def pair(make_person):
    """Asha asks; Bilal pays."""
    return make_person("Asha", "Rao", grant=10_000), make_person("Bilal", "Khan", grant=5_000)


def ask(client_for, requester, payer, amount="12.50", note="dinner"):
    return client_for(requester).post(
        REQUESTS, {"from": str(payer.public_id), "amount": amount, "note": note}, format="json"
    )


def balance(person) -> int:
    return Account.objects.get(user=person).balance


def test_ask_and_pay(pair, client_for):
    asha, bilal = pair
    created = ask(client_for, asha, bilal)
    assert created.status_code == 200 and created.json()["message"] == "Request sent"
    request_id = created.json()["requestId"]

    incoming = client_for(bilal).get(REQUESTS, {"direction": "incoming"}).json()
    (item,) = incoming["requests"]
    assert item["id"] == request_id and item["direction"] == "incoming" and item["status"] == "pending"
    assert (item["amount"], item["note"], item["transferId"]) == (12.5, "dinner", None)
    assert item["counterparty"] == {"_id": str(asha.public_id), "firstName": "Asha", "lastName": "Rao"}
    assert set(item) == {
        "id",
        "direction",
        "amount",
        "note",
        "status",
        "counterparty",
        "transferId",
        "createdAt",
        "expiresAt",
    }

    paid = client_for(bilal).post(f"{REQUESTS}/{request_id}/pay")
    assert paid.status_code == 200 and paid.json()["message"] == "Transfer successful"
    assert paid.json()["balance"] == 37.5
    assert (balance(asha), balance(bilal)) == (11_250, 3_750)
    transfer = Transfer.objects.get(public_id=paid.json()["transferId"])
    assert (transfer.kind, transfer.note) == ("request", "dinner")

    (outgoing,) = client_for(asha).get(REQUESTS, {"direction": "outgoing"}).json()["requests"]
    assert (outgoing["status"], outgoing["transferId"]) == ("paid", str(transfer.public_id))
    history = client_for(asha).get("/api/v1/account/transactions").json()["transactions"][0]
    assert (history["kind"], history["note"], history["direction"]) == ("request", "dinner", "credit")


def test_a_request_is_paid_at_most_once(pair, client_for):
    asha, bilal = pair
    request_id = ask(client_for, asha, bilal).json()["requestId"]
    assert client_for(bilal).post(f"{REQUESTS}/{request_id}/pay").status_code == 200
    again = client_for(bilal).post(f"{REQUESTS}/{request_id}/pay")
    assert again.status_code == 409 and again.json() == {
        "message": "Request is not pending",
        "code": "request_not_pending",
    }
    assert Transfer.objects.filter(kind="request").count() == 1


def test_pay_with_an_idempotency_key_replays(pair, client_for):
    asha, bilal = pair
    request_id = ask(client_for, asha, bilal).json()["requestId"]
    payer = client_for(bilal)
    first = payer.post(f"{REQUESTS}/{request_id}/pay", HTTP_IDEMPOTENCY_KEY="pay-1")
    again = payer.post(f"{REQUESTS}/{request_id}/pay", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert again.status_code == 200 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    other = ask(client_for, asha, bilal).json()["requestId"]
    reused = payer.post(f"{REQUESTS}/{other}/pay", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert reused.status_code == 422
    assert balance(bilal) == 5_000 - 1_250


def test_insufficient_balance_leaves_the_request_pending(pair, client_for):
    asha, bilal = pair
    request_id = ask(client_for, asha, bilal, amount="50.01").json()["requestId"]
    refused = client_for(bilal).post(f"{REQUESTS}/{request_id}/pay")
    assert refused.status_code == 400 and refused.json() == {
        "message": "Insufficient balance",
        "code": "insufficient_balance",
    }
    assert MoneyRequest.objects.get().status == "pending" and balance(bilal) == 5_000


def test_decline_and_cancel(pair, client_for):
    asha, bilal = pair
    declined = ask(client_for, asha, bilal).json()["requestId"]
    cancelled = ask(client_for, asha, bilal).json()["requestId"]
    assert client_for(bilal).post(f"{REQUESTS}/{declined}/decline").json() == {"message": "Request declined"}
    assert client_for(asha).post(f"{REQUESTS}/{cancelled}/cancel").json() == {"message": "Request cancelled"}
    statuses = {r["id"]: r["status"] for r in client_for(asha).get(REQUESTS).json()["requests"]}
    assert statuses == {declined: "declined", cancelled: "cancelled"}
    for request_id in (declined, cancelled):
        paid = client_for(bilal).post(f"{REQUESTS}/{request_id}/pay")
        assert paid.status_code == 409
    assert client_for(bilal).post(f"{REQUESTS}/{declined}/decline").status_code == 409
    assert balance(bilal) == 5_000


def test_only_the_payer_pays_or_declines_and_only_the_requester_cancels(pair, client_for, make_person):
    asha, bilal = pair
    carol = make_person("Carol", "D")
    request_id = ask(client_for, asha, bilal).json()["requestId"]
    not_found = {"message": "Request not found", "code": "request_not_found"}
    for who, action in [(asha, "pay"), (asha, "decline"), (bilal, "cancel"), (carol, "pay"), (carol, "cancel")]:
        response = client_for(who).post(f"{REQUESTS}/{request_id}/{action}")
        assert (response.status_code, response.json()) == (404, not_found), (who.first_name, action)
    assert client_for(carol).get(REQUESTS).json()["requests"] == []  # revealing nothing
    for bad_id in ["nope", "00000000-0000-0000-0000-000000000000"]:
        assert client_for(bilal).post(f"{REQUESTS}/{bad_id}/pay").status_code == 404
    assert MoneyRequest.objects.get().status == "pending"


def test_expiry_is_read_from_the_clock(pair, client_for):
    asha, bilal = pair
    request_id = ask(client_for, asha, bilal).json()["requestId"]
    MoneyRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    (item,) = client_for(bilal).get(REQUESTS).json()["requests"]
    assert item["status"] == "expired"
    assert client_for(bilal).post(f"{REQUESTS}/{request_id}/pay").status_code == 409
    assert client_for(asha).post(f"{REQUESTS}/{request_id}/cancel").status_code == 409
    assert [r["id"] for r in client_for(bilal).get(REQUESTS, {"status": "expired"}).json()["requests"]] == [request_id]
    assert client_for(bilal).get(REQUESTS, {"status": "pending"}).json()["requests"] == []


def test_requests_expire_after_seven_days_by_default(pair, client_for):
    asha, bilal = pair
    ask(client_for, asha, bilal)
    request = MoneyRequest.objects.get()
    assert request.expires_at - request.created_at == timedelta(days=7)


@pytest.mark.parametrize(
    "body, message",
    [
        ({"amount": "1"}, "Invalid account"),
        ({"from": "not-an-id", "amount": "1"}, "Invalid account"),
        ({"from": "00000000-0000-0000-0000-000000000000", "amount": "1"}, "Invalid account"),
        ({"from": "SELF", "amount": "1"}, "Invalid account"),
        ({"from": "BILAL", "amount": "0"}, "Invalid amount"),
        ({"from": "BILAL", "amount": "1.001"}, "Invalid amount"),
        ({"from": "BILAL", "amount": "1", "note": "x" * 101}, "Invalid note"),
        ({"from": "BILAL", "amount": "1", "note": "line\nbreak"}, "Invalid note"),
        ({"from": "BILAL", "amount": "1", "note": 42}, "Invalid note"),
    ],
)
def test_bad_requests_are_400_and_create_nothing(pair, client_for, body, message):
    asha, bilal = pair
    body = {k: {"SELF": str(asha.public_id), "BILAL": str(bilal.public_id)}.get(v, v) for k, v in body.items()}
    response = client_for(asha).post(REQUESTS, body, format="json")
    code = message.lower().replace(" ", "_")  # "Invalid note" is invalid_note
    assert response.status_code == 400 and response.json() == {"message": message, "code": code}
    assert not MoneyRequest.objects.exists()


def test_a_note_of_a_hundred_characters_is_fine(pair, client_for):
    asha, bilal = pair
    assert ask(client_for, asha, bilal, note="x" * 100).status_code == 200


def test_frozen_wallets_can_neither_ask_nor_be_asked(pair, client_for, django_user_model):
    from django.contrib.auth.models import Group

    asha, bilal = pair
    support = django_user_model.objects.create_user("s@example.com", "operator pass 123", is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    support = django_user_model.objects.get(pk=support.pk)
    request_id = ask(client_for, asha, bilal).json()["requestId"]
    wallet_set_frozen(operator=support, person=bilal, frozen=True, reason="fraud")
    assert ask(client_for, asha, bilal).json() == {"message": "Invalid account", "code": "invalid_account"}
    assert ask(client_for, bilal, asha).json() == {"message": "Account frozen", "code": "account_frozen"}
    assert client_for(bilal).post(f"{REQUESTS}/{request_id}/pay").json() == {
        "message": "Account frozen",
        "code": "account_frozen",
    }


@pytest.mark.parametrize("params", [{"direction": "sideways"}, {"status": "lost"}, {"cursor": "!!"}])
def test_a_bad_filter_is_400(pair, client_for, params):
    asha, _ = pair
    response = client_for(asha).get(REQUESTS, params)
    assert response.status_code == 400 and response.json()["message"] in {"Invalid filter", "Invalid cursor"}


def test_lists_are_newest_first_with_cursor_paging(pair, client_for):
    asha, bilal = pair
    made = [ask(client_for, asha, bilal, amount=str(n)).json()["requestId"] for n in range(1, 8)]
    seen, cursor = [], None
    while True:
        body = client_for(bilal).get(REQUESTS, {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [r["id"] for r in body["requests"]]
        cursor = body["next"]
        if not cursor:
            break
    assert seen == list(reversed(made))


def test_requests_need_a_token(api):
    assert api.get(REQUESTS).status_code == 403
    assert api.post(REQUESTS, {}, format="json").status_code == 403


def test_asking_for_money_is_limited_per_requester(pair, client_for, settings, monkeypatch):
    """MONEY_REQUEST_RATE: past it, 429 with a message and no request made; others may still ask."""
    settings.MONEY_REQUEST_RATE = "3/hour"
    monkeypatch.setattr("core.rates.clock", lambda: 1_800_000_030.0)  # one window for the whole test
    asha, bilal = pair
    for _ in range(3):
        assert ask(client_for, asha, bilal).status_code == 200
    refused = ask(client_for, asha, bilal)
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_money_requests"
    assert refused.json()["message"] and MoneyRequest.objects.filter(requester=asha).count() == 3
    assert ask(client_for, bilal, asha).status_code == 200  # the limit is per requester
    monkeypatch.setattr("core.rates.clock", lambda: 1_800_000_030.0 + 3600)  # the next hour
    assert ask(client_for, asha, bilal).status_code == 200


def test_the_requests_page_is_limited_too(pair, client, settings, monkeypatch):
    settings.MONEY_REQUEST_RATE = "1/hour"
    monkeypatch.setattr("core.rates.clock", lambda: 1_800_000_030.0)
    asha, bilal = pair
    client.force_login(asha)
    assert client.post(f"/requests?id={bilal.public_id}", {"amount": "1", "note": ""}).status_code == 302
    refused = client.post(f"/requests?id={bilal.public_id}", {"amount": "1", "note": ""})
    assert refused.status_code == 429 and "asked for money many times" in refused.content.decode()
    assert MoneyRequest.objects.count() == 1
