"""The console's own pages (console/site.py): its name, the overview, the one search box,
and the ledger check run from the overview."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import LedgerCheck, Transfer
from accounts.operations import adjustment_propose
from tests.support import flash

pytestmark = pytest.mark.django_db


def test_the_console_is_called_wallet_operations(operator_client, ledger):
    client, _ = operator_client("Support")
    page = client.get("/admin/").content.decode()
    assert "<title>Overview | Wallet operations</title>" in page
    assert "Django administration" not in page and "Wallet operations</a>" in page


def test_the_overview_shows_the_money_and_the_payments(operator_client, ledger):
    client, _ = operator_client("Support")
    response = client.get("/admin/")
    overview = response.context["overview"]
    assert overview.money_in_wallets == 15_000 and overview.money_issued == 15_000
    assert (overview.wallets, overview.frozen_wallets) == (2, 0)
    assert (overview.today.payments, overview.today.volume) == (1, 1_234)
    assert (overview.last_7_days.payments, overview.last_7_days.volume) == (1, 1_234)
    assert len(overview.daily) == 30 and overview.daily[-1].volume == 1_234
    page = response.content.decode()
    assert '<svg class="volume-chart"' in page and "₹12.34 in 1 payment" in page
    assert "₹150.00" in page  # money in wallets and issued


def test_the_overview_counts_days_in_india_time(operator_client, ledger):
    """18:40 UTC is 00:10 the next day in India: such a payment belongs to that next day."""
    _, bilal, transfer = ledger
    client, _ = operator_client("Support")
    now = timezone.now()
    india_midnight_in_utc = (now + timedelta(hours=5, minutes=30)).replace(hour=0, minute=0, second=0) - timedelta(
        hours=5, minutes=30
    )
    Transfer.objects.filter(pk=transfer.pk).update(created_at=india_midnight_in_utc - timedelta(minutes=5))
    overview = client.get("/admin/").context["overview"]
    assert overview.today.payments == 0 and overview.daily[-2].payments == 1


def test_the_ledger_check_runs_from_the_overview_and_is_kept(operator_client, ledger):
    client, operator = operator_client("Support")
    assert "Never run yet" in client.get("/admin/").content.decode()
    response = client.post("/admin/ledger-check/", follow=True)
    assert any(message.startswith("Ledger OK: every invariant holds") for message in flash(response))
    check = LedgerCheck.objects.get()
    assert check.ok and check.ran_by == operator.email and check.transfers == 3
    assert "OK: every invariant holds" in response.content.decode()


def test_one_box_finds_people_transfers_and_adjustments(operator_client, ledger):
    asha, _, transfer = ledger
    client, root = operator_client(superuser=True)
    proposal = adjustment_propose(operator=root, person=asha, direction="credit", amount=100, reason="r")
    assert client.get("/admin/find/", {"q": str(asha.public_id)})["Location"] == f"/admin/users/user/{asha.pk}/change/"
    assert client.get("/admin/find/", {"q": str(transfer.public_id)})["Location"] == (
        f"/admin/accounts/transfer/{transfer.pk}/change/"
    )
    assert client.get("/admin/find/", {"q": str(proposal.public_id)})["Location"].endswith(f"/{proposal.pk}/change/")
    assert client.get("/admin/find/", {"q": "asha@"})["Location"] == "/admin/users/user/?q=asha%40"
    people = client.get("/admin/users/user/", {"q": str(asha.public_id)}).content.decode()
    assert "Asha Rao" in people and "Bilal Khan" not in people
    transfers = client.get("/admin/accounts/transfer/", {"q": str(transfer.public_id)}).content.decode()
    assert "1 transfer" in transfers
