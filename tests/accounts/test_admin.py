import pytest

from accounts.models import Account, LedgerEntry, Transfer
from accounts.services import transfer_create
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    operator = User.objects.create_superuser("ops@example.com", "operator pass 123")
    client.force_login(operator)
    return client


@pytest.fixture
def people(make_person):
    asha, bilal = make_person("Asha", "Rao", email="asha@example.com"), make_person("Bilal", "Khan")
    transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=500)
    return asha, bilal


def test_operator_finds_people_by_email_and_name(operator_client, people):
    page = operator_client.get("/admin/users/user/", {"q": "asha@"}).content.decode()
    assert "asha@example.com" in page and "Bilal" not in page
    page = operator_client.get("/admin/users/user/", {"q": "khan"}).content.decode()
    assert "Bilal" in page


@pytest.mark.parametrize("model", ["account", "transfer", "ledgerentry", "idempotencyrecord"])
def test_ledger_pages_are_viewable_but_nothing_can_be_added(operator_client, people, model):
    assert operator_client.get(f"/admin/accounts/{model}/").status_code == 200
    assert operator_client.get(f"/admin/accounts/{model}/add/").status_code == 403


def test_balances_cannot_be_changed_or_deleted_in_admin(operator_client, people):
    asha, _ = people
    account = Account.objects.get(user=asha)
    before = account.balance
    url = f"/admin/accounts/account/{account.pk}/change/"
    page = operator_client.get(url)
    assert page.status_code == 200 and 'name="balance"' not in page.content.decode()
    operator_client.post(url, {"balance": 99_999_999, "kind": "user"})
    assert operator_client.post(f"/admin/accounts/account/{account.pk}/delete/", {"post": "yes"}).status_code == 403
    account.refresh_from_db()
    assert account.balance == before


def test_transfers_and_entries_cannot_be_edited(operator_client, people):
    transfer = Transfer.objects.filter(kind="transfer").get()
    operator_client.post(f"/admin/accounts/transfer/{transfer.pk}/change/", {"amount": 1})
    entry = LedgerEntry.objects.filter(transfer=transfer).first()
    operator_client.post(f"/admin/accounts/ledgerentry/{entry.pk}/change/", {"amount": 1})
    assert Transfer.objects.get(pk=transfer.pk).amount == 500
    assert LedgerEntry.objects.get(pk=entry.pk).amount == entry.amount


def test_transfers_filter_by_user_and_date(operator_client, people):
    asha, bilal = people
    page = operator_client.get("/admin/accounts/transfer/", {"q": "asha@example.com"}).content.decode()
    bilal_grant = Transfer.objects.get(kind="grant", recipient__user=bilal)
    assert str(Transfer.objects.get(kind="transfer").public_id) in page
    assert str(bilal_grant.public_id) not in page
    today = Transfer.objects.first().created_at.date()
    page = operator_client.get(
        "/admin/accounts/transfer/",
        {"created_at__year": today.year, "created_at__month": today.month, "created_at__day": today.day},
    )
    assert page.status_code == 200 and "3 transfers" in page.content.decode()


def test_people_cannot_be_deleted_only_deactivated(operator_client, people):
    asha, _ = people
    response = operator_client.post(f"/admin/users/user/{asha.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=asha.pk).exists()


def test_non_staff_cannot_open_admin(client, people):
    asha, _ = people
    client.force_login(asha)
    assert client.get("/admin/accounts/account/").status_code == 302
