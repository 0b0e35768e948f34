import pytest

from accounts.services import transfer_create

HISTORY = "/api/v1/account/transactions"
pytestmark = pytest.mark.django_db


def test_history_newest_first_with_both_sides(make_person, client_for):
    asha, bilal = make_person("Asha", "Rao", grant=10_000), make_person("Bilal", "Khan", grant=5_000)
    first = transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=250)
    second = transfer_create(sender=bilal, recipient_id=str(asha.public_id), amount=1_000)

    rows = client_for(asha).get(HISTORY).json()["transactions"]

    assert [row["id"] for row in rows[:2]] == [second.transfer_id, first.transfer_id]
    assert rows[0] == {
        "id": second.transfer_id,
        "kind": "transfer",
        "direction": "credit",
        "amount": 10,
        "balanceAfter": 107.5,
        "counterparty": {"_id": str(bilal.public_id), "firstName": "Bilal", "lastName": "Khan"},
        "note": "",
        "createdAt": rows[0]["createdAt"],
    }
    assert rows[1]["direction"] == "debit" and rows[1]["amount"] == 2.5 and rows[1]["balanceAfter"] == 97.5
    assert rows[2]["kind"] == "grant" and rows[2]["counterparty"] is None and rows[2]["amount"] == 100
    bilal_rows = client_for(bilal).get(HISTORY).json()["transactions"]
    assert bilal_rows[0]["direction"] == "debit" and bilal_rows[1]["direction"] == "credit"


def test_cursor_pages_cover_every_entry_once(make_person, client_for):
    asha, bilal = make_person("Asha", "Rao", grant=100_000), make_person("Bilal", "Khan")
    for amount in range(1, 12):
        transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=amount)
    client = client_for(asha)
    seen, cursor = [], None
    while True:
        body = client.get(HISTORY, {"limit": 5, **({"cursor": cursor} if cursor else {})}).json()
        seen += [row["id"] for row in body["transactions"]]
        cursor = body["next"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 12  # 11 payments and the grant


@pytest.mark.parametrize("cursor", ["!!!", "bm90LWEtbnVtYmVy", "LTU", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk"])
def test_bad_cursor_is_400(make_person, client_for, cursor):
    response = client_for(make_person()).get(HISTORY, {"cursor": cursor})
    assert response.status_code == 400 and response.json()["message"] == "Invalid cursor"


def test_history_needs_a_token(api):
    assert api.get(HISTORY).status_code == 403


def test_history_shows_only_my_entries(make_person, client_for):
    asha, bilal, carol = make_person("Asha", "R"), make_person("Bilal", "K"), make_person("Carol", "D")
    transfer_create(sender=bilal, recipient_id=str(carol.public_id), amount=100)
    rows = client_for(asha).get(HISTORY).json()["transactions"]
    assert [row["kind"] for row in rows] == ["grant"]
