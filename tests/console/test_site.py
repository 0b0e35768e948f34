"""The console's own pages (console/site.py): its name, the overview, the one search box,
the ledger check run from the overview, what the console shows and hides, and where its
breadcrumbs and app pages lead."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEntry, LedgerCheck, Transfer
from accounts.operations import adjustment_propose, transfer_reverse, wallet_set_frozen
from tests.support import flash
from users.models import User

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
    assert client.get("/admin/users/user/", {"q": str(asha.public_id)})["Location"] == (
        f"/admin/users/user/{asha.pk}/change/"
    )
    transfers = client.get("/admin/accounts/transfer/", {"q": str(transfer.public_id)}).content.decode()
    assert "1 transfer" in transfers


@pytest.mark.parametrize("typed", ["{email}", "  {upper}  "])
def test_an_exact_email_opens_the_persons_page_from_either_search_box(operator_client, ledger, typed):
    """Item 19: not a list of one row. As emails are stored (folded), whatever the case."""
    asha, _, _ = ledger
    client, _ = operator_client("Support")
    query = typed.format(email=asha.email, upper=asha.email.upper())
    page = f"/admin/users/user/{asha.pk}/change/"
    assert client.get("/admin/find/", {"q": query})["Location"] == page
    assert client.get("/admin/users/user/", {"q": query})["Location"] == page
    opened = client.get("/admin/users/user/", {"q": query}, follow=True)
    assert opened.status_code == 200 and 'id="person-status"' in opened.content.decode()


def test_a_partial_email_or_a_name_still_lists_people(operator_client, ledger):
    client, _ = operator_client("Support")
    for query in ("asha.rao", "Rao", "example.com"):
        response = client.get("/admin/users/user/", {"q": query})
        assert response.status_code == 200 and "Asha Rao" in response.content.decode(), query


def test_an_operator_found_by_exact_email_opens_their_page(operator_client, operator, ledger):
    support = operator("Support")
    client, _ = operator_client(superuser=True)
    assert client.get("/admin/find/", {"q": support.email})["Location"] == f"/admin/users/user/{support.pk}/change/"


def test_app_pages_are_not_a_dead_end(superuser_client, ledger):
    """Item 20: "People administration" with one link. People leads to its list, Money (many
    lists) to the overview, which lists them all."""
    assert superuser_client.get("/admin/users/")["Location"] == "/admin/users/user/"
    assert superuser_client.get("/admin/accounts/")["Location"] == "/admin/"


def test_the_console_shows_no_token_tables_groups_or_idempotency_records(superuser_client, ledger):
    """Item 20: a superuser's overview listed SimpleJWT's blacklist tables (with "Add"),
    Groups, and Idempotency records; none is something an operator works with."""
    from django.contrib import admin

    page = superuser_client.get("/admin/").content.decode()
    for hidden in ("Blacklisted", "Outstanding", "Token blacklist", "Groups", "Idempotency"):
        assert hidden not in page, hidden
    assert "Money requests" in page and "Ledger entries" in page
    shown = {model._meta.label for model in admin.site._registry}
    assert not shown & {"token_blacklist.OutstandingToken", "token_blacklist.BlacklistedToken", "auth.Group"}
    assert "accounts.IdempotencyRecord" not in shown
    assert superuser_client.get("/admin/accounts/idempotencyrecord/").status_code == 404
    assert superuser_client.get("/admin/auth/group/").status_code == 404


def test_no_role_may_see_idempotency_records(operator):
    for role in ("Support", "Finance", "Approver"):
        assert not operator(role).has_perm("accounts.view_idempotencyrecord"), role


def test_adjustments_waiting_are_with_what_waits_for_operators_not_with_payments(operator_client, ledger):
    """Item 20: "Adjustments waiting" was shown under "Payments between people"."""
    asha, _, _ = ledger
    client, root = operator_client(superuser=True)
    adjustment_propose(operator=root, person=asha, direction="credit", amount=100, reason="r")
    page = client.get("/admin/").content.decode()
    payments = section(page, "payments-heading")
    waiting = section(page, "attention-heading")
    assert "Adjustments waiting" not in payments and "payments-today" in payments
    assert "Adjustments waiting" in waiting and 'id="adjustments-waiting"' in waiting and ">1</a>" in waiting


def section(page: str, heading_id: str) -> str:
    start = page.index(f'aria-labelledby="{heading_id}"')
    return page[start : page.index("</section>", start)]


def test_latest_operator_actions_name_their_target_and_reason(operator_client, ledger):
    """Item 20: "Froze a wallet" twice read the same; each line now says whose and why."""
    asha, bilal, transfer = ledger
    client, root = operator_client(superuser=True)
    wallet_set_frozen(operator=root, person=asha, frozen=True, reason="card testing ring")
    wallet_set_frozen(operator=root, person=bilal, frozen=True, reason="chargeback storm")
    transfer_reverse(operator=root, transfer=transfer, reason="paid twice")
    actions = section(client.get("/admin/").content.decode(), "actions-heading")
    assert "Froze a wallet</a>: wallet of Asha Rao" in actions and "“card testing ring”" in actions
    assert "Froze a wallet</a>: wallet of Bilal Khan" in actions and "“chargeback storm”" in actions
    assert "Reversed a transfer</a>: transfer of ₹12.34 from Asha Rao to Bilal Khan" in actions
    assert "“paid twice”" in actions


def test_a_name_with_markup_is_shown_as_text(operator_client, make_person):
    marked = make_person("<b>Bold</b>", "<script>alert(1)</script>")
    client, root = operator_client(superuser=True)
    wallet_set_frozen(operator=root, person=marked, frozen=True, reason="<i>why</i>")
    for path in (
        "/admin/",
        "/admin/users/user/",
        f"/admin/users/user/{marked.pk}/change/",
        "/admin/accounts/auditentry/",
    ):
        page = client.get(path).content.decode()
        assert "<b>Bold</b>" not in page and "<script>alert(1)" not in page and "<i>why</i>" not in page, path
        assert "&lt;b&gt;Bold&lt;/b&gt;" in page, path


def console_pages(client, ledger) -> list[str]:
    """A path of every kind of console page a superuser can open."""
    asha, _, transfer = ledger
    root = User.objects.get(is_superuser=True)
    proposal = adjustment_propose(operator=root, person=asha, direction="credit", amount=100, reason="r")
    wallet_set_frozen(operator=root, person=asha, frozen=True, reason="r")
    client.post("/admin/ledger-check/")
    entry = AuditEntry.objects.first()
    return [
        "/admin/users/user/",
        "/admin/users/user/?who=operators",
        f"/admin/users/user/{asha.pk}/change/",
        f"/admin/users/user/{root.pk}/change/",
        f"/admin/users/user/{root.pk}/history/",
        f"/admin/users/user/{root.pk}/password/",
        "/admin/users/user/add/",
        "/admin/accounts/account/",
        "/admin/accounts/transfer/",
        f"/admin/accounts/transfer/{transfer.pk}/change/",
        "/admin/accounts/ledgerentry/",
        f"/admin/accounts/ledgerentry/{transfer.entries.first().pk}/change/",
        "/admin/accounts/moneyrequest/",
        "/admin/accounts/adjustmentproposal/",
        f"/admin/accounts/adjustmentproposal/{proposal.pk}/change/",
        "/admin/accounts/auditentry/",
        f"/admin/accounts/auditentry/{entry.pk}/change/",
        "/admin/accounts/ledgercheck/",
        f"/admin/accounts/ledgercheck/{LedgerCheck.objects.get().pk}/change/",
        "/admin/password_change/",
        "/admin/password_change/done/",
    ]


def test_every_page_leads_back_to_the_overview_never_home(operator_client, ledger):
    """Item 20: the breadcrumbs said "Home" on the admin's pages and "Overview" on ours."""
    client, _ = operator_client(superuser=True)
    for path in console_pages(client, ledger):
        response = client.get(path)
        assert response.status_code == 200, path
        crumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', response.content.decode(), re.S).group(1)
        assert re.match(r'\s*<a href="/admin/">Overview</a>', crumbs) and "Home" not in crumbs, (path, crumbs)
        title = re.search(r"<h1>(.*?)</h1>", response.content.decode(), re.S).group(1)
        assert not re.match(
            r"(Select .* to (change|view)|(Change|View) [a-z ]+|Add person|Change history: .*)$", title
        ), (
            path,
            title,
        )


def test_signing_out_leads_back_to_the_overview(operator_client, ledger):
    client, _ = operator_client("Support")
    page = client.post("/admin/logout/").content.decode()
    assert '<a href="/admin/">Overview</a>' in page and ">Home<" not in page
