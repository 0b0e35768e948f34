"""A person's page and the operators' actions over HTTP (console/admin/people.py,
console/admin/money.py, console/actions.py): each action needs a reason, each role does what
it may and nothing more, bulk freezing asks for a reason first, and the audit log is
append-only for everyone. (tests/live/test_console_pages.py drives the same pages in Chromium.)"""

import pytest

from accounts.models import Account, AdjustmentProposal, AuditEntry
from accounts.operations import adjustment_propose, wallet_set_frozen
from accounts.services import transfer_create
from tests.support import flash
from users.models import User

pytestmark = pytest.mark.django_db


def test_a_persons_page_has_profile_status_balance_and_paged_statement(operator_client, ledger):
    asha, bilal, _ = ledger
    for amount in range(1, 30):
        transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=amount)
    client, _ = operator_client("Support")
    page = client.get(f"/admin/users/user/{asha.pk}/change/").content.decode()
    assert "Asha Rao" in page and asha.email in page and str(asha.public_id) in page
    assert 'id="person-status" class="status-active">active' in page
    assert f'id="person-balance">₹{(10_000 - 1_234 - sum(range(1, 30))) / 100:,.2f}' in page
    assert "31 entries" in page and "Page 1 of 2" in page
    older = client.get(f"/admin/users/user/{asha.pk}/change/", {"page": 2}).content.decode()
    assert "grant" in older and "₹100.00" in older  # the starting grant, with its running balance
    assert "Freeze wallet" in page and "Propose adjustment" not in page and "Deactivate person" not in page


def test_actions_from_a_persons_page_need_a_reason(operator_client, ledger):
    asha, _, _ = ledger
    client, _ = operator_client("Support")
    response = client.post(f"/admin/users/user/{asha.pk}/freeze/", {"reason": ""}, follow=True)
    assert flash(response) == ["Give a reason (1 to 200 characters): it goes into the audit log"]
    assert not Account.objects.get(user=asha).frozen
    response = client.post(f"/admin/users/user/{asha.pk}/freeze/", {"reason": "fraud report"}, follow=True)
    assert flash(response) == ["The wallet of Asha Rao is frozen."]
    assert "status-frozen" in response.content.decode()
    assert client.get(f"/admin/users/user/{asha.pk}/freeze/").status_code == 405  # POST only


@pytest.mark.parametrize(
    "role, allowed",
    [
        ("Support", {"freeze"}),
        ("Finance", {"reverse", "propose"}),
        ("Approver", {"approve"}),
        (None, set()),
    ],
)
def test_each_role_over_http(operator_client, ledger, role, allowed):
    asha, _, transfer = ledger
    root = User.objects.create_superuser("root@example.com", "operator pass 123")
    proposal = adjustment_propose(operator=root, person=asha, direction="credit", amount=100, reason="r")
    client, _ = operator_client(*([role] if role else []))
    posts = {
        "freeze": (f"/admin/users/user/{asha.pk}/freeze/", {"reason": "r"}),
        "reverse": (f"/admin/accounts/transfer/{transfer.pk}/reverse/", {"reason": "r"}),
        "propose": (
            f"/admin/users/user/{asha.pk}/propose-adjustment/",
            {"direction": "debit", "amount": "1", "reason": "r"},
        ),
        "approve": (f"/admin/accounts/adjustmentproposal/{proposal.pk}/approve/", {}),
        "deactivate": (f"/admin/users/user/{asha.pk}/deactivate/", {"reason": "r"}),
    }
    for action, (url, form) in posts.items():
        before = AuditEntry.objects.count()
        response = client.post(url, form, follow=True)
        if action in allowed:
            assert AuditEntry.objects.count() == before + 1, (action, flash(response))
        elif role is None:
            assert response.status_code in (403, 200) and AuditEntry.objects.count() == before
            assert response.status_code == 403 or flash(response) == ["You do not have permission to do this"]
        else:
            assert flash(response) == ["You do not have permission to do this"], action
            assert AuditEntry.objects.count() == before


def test_operators_without_a_role_see_nothing(operator_client, ledger):
    client, _ = operator_client()
    assert client.get("/admin/users/user/").status_code == 403
    assert client.get("/admin/accounts/transfer/").status_code == 403


def test_an_approver_sees_the_buttons_but_not_on_their_own_proposal(operator_client, ledger):
    asha, _, _ = ledger
    client, approver = operator_client("Finance", "Approver")
    own = adjustment_propose(operator=approver, person=asha, direction="credit", amount=100, reason="mine")
    page = client.get(f"/admin/accounts/adjustmentproposal/{own.pk}/change/").content.decode()
    assert 'id="own-proposal"' in page and 'id="approve"' not in page
    response = client.post(f"/admin/accounts/adjustmentproposal/{own.pk}/approve/", follow=True)
    assert flash(response) == ["A different operator must approve or reject your proposal (four eyes)"]
    assert AdjustmentProposal.objects.get(pk=own.pk).status == "proposed"


def test_bulk_freeze_asks_for_a_reason_first(operator_client, ledger):
    asha, bilal, _ = ledger
    client, _ = operator_client("Support")
    selection = {"action": "freeze_wallets", "_selected_action": [asha.pk, bilal.pk]}
    asked = client.post("/admin/users/user/", selection)
    assert asked.status_code == 200 and "Freeze 2 wallet(s)" in asked.content.decode()
    assert not Account.objects.filter(frozen=True).exists()
    empty = client.post("/admin/users/user/", {**selection, "post": "yes", "reason": " "})
    assert "Give a reason" in empty.content.decode() and not Account.objects.filter(frozen=True).exists()
    done = client.post(
        "/admin/users/user/", {**selection, "post": "yes", "reason": "ring of mule accounts"}, follow=True
    )
    assert "Freeze: done for 2 wallet(s)." in flash(done)
    assert Account.objects.filter(frozen=True).count() == 2
    assert set(AuditEntry.objects.values_list("reason", flat=True)) == {"ring of mule accounts"}


def test_the_audit_log_is_append_only_for_everyone(operator_client, ledger):
    asha, _, _ = ledger
    client, root = operator_client(superuser=True)
    wallet_set_frozen(operator=root, person=asha, frozen=True, reason="fraud")
    entry = AuditEntry.objects.get()
    assert client.get("/admin/accounts/auditentry/").status_code == 200
    assert client.get(f"/admin/accounts/auditentry/{entry.pk}/change/").status_code == 200
    assert client.get("/admin/accounts/auditentry/add/").status_code == 403
    complete_form = {
        "action": "unfreeze",
        "target_type": "wallet",
        "target_id": "x",
        "reason": "rewritten",
        "before": "{}",
        "after": "{}",
        "actor": root.pk,
        "created_at_0": "2026-01-01",
        "created_at_1": "00:00:00",
    }
    assert client.post("/admin/accounts/auditentry/add/", complete_form).status_code == 403
    assert client.post(f"/admin/accounts/auditentry/{entry.pk}/change/", complete_form).status_code == 403
    assert client.post(f"/admin/accounts/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post("/admin/accounts/auditentry/", {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert bulk.status_code in (200, 302)
    entry.refresh_from_db()
    assert (entry.action, entry.reason) == ("freeze", "fraud") and AuditEntry.objects.count() == 1


def test_wallet_holders_profiles_are_not_editable_here(operator_client, ledger):
    asha, _, _ = ledger
    client, _ = operator_client(superuser=True)
    response = client.post(
        f"/admin/users/user/{asha.pk}/change/",
        {"email": "stolen@example.com", "first_name": "X", "last_name": "Y", "is_active": "on"},
    )
    asha.refresh_from_db()
    assert asha.email != "stolen@example.com" and response.status_code in (200, 302, 403)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users/user/999999/freeze/",
        "/admin/users/user/12/change/propose-adjustment/",
        "/admin/accounts/transfer/999999/reverse/",
        "/admin/accounts/adjustmentproposal/nope/approve/",
        "/admin/accounts/adjustmentproposal/999999/reject/",
    ],
)
def test_an_action_on_something_that_does_not_exist_is_404_not_500(operator_client, ledger, path):
    client, _ = operator_client(superuser=True)
    assert client.post(path, {"reason": "r"}).status_code == 404


def test_a_persons_page_lists_their_pending_money_requests(operator_client, ledger, client_for):
    asha, bilal, _ = ledger
    asked = client_for(asha).post(
        "/api/v1/account/requests", {"from": str(bilal.public_id), "amount": "3.25", "note": "lunch"}, format="json"
    )
    assert asked.status_code == 200
    client, _ = operator_client("Support")
    page = client.get(f"/admin/users/user/{bilal.pk}/change/").content.decode()
    assert 'id="pending-requests"' in page and "asked of them" in page and "by Asha Rao" in page
    assert "₹3.25" in page and "lunch" in page
    client_for(bilal).post(f"/api/v1/account/requests/{asked.json()['requestId']}/decline")
    assert 'id="pending-requests"' not in client.get(f"/admin/users/user/{bilal.pk}/change/").content.decode()


@pytest.mark.parametrize("amount", ["5.00", "", "abc"])
def test_an_unknown_direction_asks_for_credit_or_debit_whatever_the_amount(operator_client, ledger, amount):
    """Item 20: it said "Enter an amount…" (the amount was parsed first, and the direction's
    refusal carries the amount's code)."""
    asha, _, _ = ledger
    client, _ = operator_client("Finance")
    for direction in ("sideways", ""):
        response = client.post(
            f"/admin/users/user/{asha.pk}/propose-adjustment/",
            {"direction": direction, "amount": amount, "reason": "goodwill"},
            follow=True,
        )
        assert flash(response) == ["Choose credit or debit"], (direction, amount)
    assert not AdjustmentProposal.objects.exists() and not AuditEntry.objects.exists()


def test_a_known_direction_with_a_bad_amount_still_explains_the_amount(operator_client, ledger):
    asha, _, _ = ledger
    client, _ = operator_client("Finance")
    response = client.post(
        f"/admin/users/user/{asha.pk}/propose-adjustment/", {"direction": "credit", "amount": "1.001", "reason": "r"}
    )
    assert flash(client.get(response["Location"]))[0].startswith("Enter an amount from ₹0.01")


@pytest.mark.parametrize(
    "path, action",
    [
        ("/admin/users/user/", "freeze the wallets of the selected people"),
        ("/admin/accounts/account/", "freeze the selected wallets"),
    ],
)
def test_a_bulk_action_the_role_may_not_take_says_so(operator_client, ledger, path, action):
    """Item 20: an Approver's bulk freeze came back to the list with no message at all."""
    asha, bilal, _ = ledger
    client, _ = operator_client("Approver")
    people = [asha, bilal]
    pks = [p.pk for p in people] if "user" in path else [Account.objects.get(user=p).pk for p in people]
    selection = {"action": "freeze_wallets", "_selected_action": pks, "index": 0}
    said = [f"Your role may not {action}: nothing was changed."]
    assert flash(client.post(path, selection, follow=True)) == said
    # And the second step (the reason's page posts without "index").
    selection.pop("index")
    assert (
        flash(client.post(path, {**selection, "post": "yes", "reason": "ring of mule accounts"}, follow=True)) == said
    )
    assert not Account.objects.filter(frozen=True).exists() and not AuditEntry.objects.exists()


def test_nobody_may_delete_the_audit_log_and_is_told_so(operator_client, ledger):
    asha, _, _ = ledger
    client, root = operator_client(superuser=True)
    wallet_set_frozen(operator=root, person=asha, frozen=True, reason="fraud")
    entry = AuditEntry.objects.get()
    response = client.post(
        "/admin/accounts/auditentry/", {"action": "delete_selected", "_selected_action": [entry.pk]}, follow=True
    )
    assert flash(response) == ["Nobody may delete selected audit log here: nothing was changed."]
    assert AuditEntry.objects.count() == 1
