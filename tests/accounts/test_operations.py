"""Operators' actions (accounts/operations.py): freeze, reverse, four-eyes adjustments,
deactivation; each needs a reason, checks the role, and writes its audit entry in the same
unit of work. Every test ends with the full ledger check (tests/conftest.py)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.exceptions import (
    AdjustmentOverdraft,
    AlreadyReversed,
    NotReversible,
    OperationForbidden,
    OwnProposal,
    ProposalExpired,
    ProposalNotOpen,
    ReasonRequired,
    ReversalExceedsBalance,
    WalletStateUnchanged,
)
from accounts.models import Account, AdjustmentProposal, AuditEntry, Transfer
from accounts.operations import (
    adjustment_approve,
    adjustment_propose,
    adjustment_reject,
    transfer_reverse,
    wallet_set_frozen,
)
from accounts.services import transfer_create
from accounts.stores import ledger_store
from tests.conftest import PASSWORD
from users.models import User
from users.operations import person_set_active

pytestmark = pytest.mark.django_db
TRANSFER, BALANCE, HISTORY = "/api/v1/account/transfer", "/api/v1/account/balance", "/api/v1/account/transactions"


@pytest.fixture
def pair(make_person):
    return make_person("Asha", "Rao", grant=10_000), make_person("Bilal", "Khan", grant=5_000)


def balance(person) -> int:
    return Account.objects.get(user=person).balance


def audit_of(action) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action))


class TestFreeze:
    def test_support_freezes_with_a_reason_and_it_is_audited(self, pair, operator):
        asha, _ = pair
        support = operator("Support")
        wallet_set_frozen(operator=support, person=asha, frozen=True, reason="  fraud report #42 ")
        assert Account.objects.get(user=asha).frozen
        (entry,) = audit_of("freeze")
        assert (entry.actor_id, entry.target_type, entry.target_id) == (support.pk, "wallet", str(asha.public_id))
        assert (
            entry.reason == "fraud report #42" and entry.before == {"frozen": False} and entry.after == {"frozen": True}
        )

        wallet_set_frozen(operator=support, person=asha, frozen=False, reason="cleared")
        assert not Account.objects.get(user=asha).frozen and len(audit_of("unfreeze")) == 1

    @pytest.mark.parametrize("reason", ["", "   ", None, "x" * 201, "line\nbreak"])
    def test_no_reason_no_action(self, pair, operator, reason):
        asha, _ = pair
        with pytest.raises(ReasonRequired):
            wallet_set_frozen(operator=operator("Support"), person=asha, frozen=True, reason=reason)
        assert not Account.objects.get(user=asha).frozen and not AuditEntry.objects.exists()

    def test_freezing_a_frozen_wallet_is_refused_and_not_audited_twice(self, pair, operator):
        asha, _ = pair
        support = operator("Support")
        wallet_set_frozen(operator=support, person=asha, frozen=True, reason="r")
        with pytest.raises(WalletStateUnchanged):
            wallet_set_frozen(operator=support, person=asha, frozen=True, reason="again")
        assert AuditEntry.objects.count() == 1

    def test_a_frozen_wallet_behaves_as_the_contract_says(self, pair, operator, client_for, api):
        asha, bilal = pair
        wallet_set_frozen(operator=operator("Support"), person=asha, frozen=True, reason="fraud")
        as_asha, as_bilal = client_for(asha), client_for(bilal)

        sent = as_asha.post(TRANSFER, {"to": str(bilal.public_id), "amount": 1}, format="json")
        assert sent.status_code == 400 and sent.json() == {"message": "Account frozen", "code": "account_frozen"}
        paid = as_bilal.post(TRANSFER, {"to": str(asha.public_id), "amount": 1}, format="json")
        assert paid.status_code == 400 and paid.json() == {"message": "Invalid account", "code": "invalid_account"}
        found = api.get("/api/v1/user/bulk", {"filter": "Asha"}).json()["users"]
        assert found == []
        signin = api.post("/api/v1/user/signin", {"username": asha.email, "password": PASSWORD}, format="json")
        assert signin.status_code == 200
        assert as_asha.get(BALANCE).json()["balance"] == 100
        assert as_asha.get(HISTORY).json()["transactions"][0]["kind"] == "grant"
        assert (balance(asha), balance(bilal)) == (10_000, 5_000)


class TestReversal:
    def test_finance_reverses_a_transfer_and_both_people_see_it(self, pair, operator, client_for):
        asha, bilal = pair
        original = transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=1_250)
        finance = operator("Finance")

        posted = transfer_reverse(
            operator=finance, transfer=Transfer.objects.get(public_id=original.transfer_id), reason="sent by mistake"
        )

        reversal = Transfer.objects.get(public_id=posted.transfer.public_id)
        assert reversal.kind == "reversal" and reversal.amount == 1_250 and reversal.note == "sent by mistake"
        assert str(reversal.reverses.public_id) == original.transfer_id
        assert (balance(asha), balance(bilal)) == (10_000, 5_000)
        for person, direction in [(asha, "credit"), (bilal, "debit")]:
            row = client_for(person).get(HISTORY).json()["transactions"][0]
            assert (row["kind"], row["direction"], row["note"], row["amount"]) == (
                "reversal",
                direction,
                "sent by mistake",
                12.5,
            )
        (entry,) = audit_of("reverse")
        assert entry.target_id == original.transfer_id and entry.after["reversal"] == posted.transfer.public_id

    def test_at_most_one_reversal_per_transfer(self, pair, operator):
        asha, bilal = pair
        original = Transfer.objects.get(
            public_id=transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=100).transfer_id
        )
        finance = operator("Finance")
        transfer_reverse(operator=finance, transfer=original, reason="first")
        with pytest.raises(AlreadyReversed):
            transfer_reverse(operator=finance, transfer=original, reason="second")
        assert Transfer.objects.filter(kind="reversal").count() == 1 and len(audit_of("reverse")) == 1

    def test_the_database_itself_refuses_a_second_reversal(self, pair, operator):
        asha, bilal = pair
        original = Transfer.objects.get(
            public_id=transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=100).transfer_id
        )
        transfer_reverse(operator=operator("Finance"), transfer=original, reason="first")
        with pytest.raises(IntegrityError), transaction.atomic():
            Transfer.objects.create(
                kind="reversal", sender=original.recipient, recipient=original.sender, amount=100, reverses=original
            )

    @pytest.mark.parametrize("kind", ["grant", "reversal"])
    def test_grants_and_reversals_cannot_be_reversed(self, pair, operator, kind):
        asha, bilal = pair
        finance = operator("Finance")
        original = Transfer.objects.get(
            public_id=transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=100).transfer_id
        )
        reversal = Transfer.objects.get(
            public_id=transfer_reverse(operator=finance, transfer=original, reason="r").transfer.public_id
        )
        target = Transfer.objects.get(kind="grant", recipient__user=asha) if kind == "grant" else reversal
        with pytest.raises(NotReversible):
            transfer_reverse(operator=finance, transfer=target, reason="nope")

    def test_refused_when_the_recipient_holds_less_than_the_amount(self, pair, operator, make_person):
        asha, bilal = pair
        carol = make_person("Carol", "D", grant=100)
        original = Transfer.objects.get(
            public_id=transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=4_000).transfer_id
        )
        transfer_create(sender=bilal, recipient_id=str(carol.public_id), amount=8_500)  # bilal now holds 500
        with pytest.raises(ReversalExceedsBalance) as refused:
            transfer_reverse(operator=operator("Finance"), transfer=original, reason="too late")
        assert (
            refused.value.detail == "Bilal Khan holds ₹5.00, less than the ₹40.00 to reverse, so nothing was reversed"
        )
        assert not Transfer.objects.filter(kind="reversal").exists() and not AuditEntry.objects.exists()
        assert balance(bilal) == 500

    def test_a_frozen_recipient_can_still_be_reversed(self, pair, operator):
        asha, bilal = pair
        original = Transfer.objects.get(
            public_id=transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=300).transfer_id
        )
        wallet_set_frozen(operator=operator("Support"), person=bilal, frozen=True, reason="fraud")
        transfer_reverse(operator=operator("Finance"), transfer=original, reason="fraud: money back")
        assert (balance(asha), balance(bilal)) == (10_000, 5_000)


class TestAdjustments:
    def test_proposed_by_one_approved_by_another_posts_once(self, pair, operator, client_for):
        asha, _ = pair
        finance, approver = operator("Finance"), operator("Approver")
        proposal = adjustment_propose(
            operator=finance, person=asha, direction="credit", amount=2_500, reason="goodwill"
        )
        assert balance(asha) == 10_000  # nothing moves on a proposal

        posted = adjustment_approve(operator=approver, proposal=proposal)

        proposal.refresh_from_db()
        assert proposal.status == "approved" and proposal.decided_by == approver
        assert str(proposal.transfer.public_id) == posted.transfer.public_id
        assert balance(asha) == 12_500
        assert Account.objects.get(kind="adjustment").balance == -2_500
        row = client_for(asha).get(HISTORY).json()["transactions"][0]
        assert (row["kind"], row["direction"], row["counterparty"], row["note"]) == (
            "adjustment",
            "credit",
            None,
            "goodwill",
        )
        assert [e.action for e in AuditEntry.objects.order_by("created_at")] == [
            "propose_adjustment",
            "approve_adjustment",
        ]

    def test_a_debit_takes_money_back_into_the_adjustment_account(self, pair, operator):
        asha, _ = pair
        proposal = adjustment_propose(
            operator=operator("Finance"), person=asha, direction="debit", amount=1_000, reason="fee"
        )
        adjustment_approve(operator=operator("Approver"), proposal=proposal)
        assert balance(asha) == 9_000 and Account.objects.get(kind="adjustment").balance == 1_000

    def test_nobody_approves_or_rejects_their_own_proposal(self, pair, operator):
        asha, _ = pair
        both = operator("Finance", "Approver")
        proposal = adjustment_propose(operator=both, person=asha, direction="credit", amount=100, reason="mine")
        with pytest.raises(OwnProposal):
            adjustment_approve(operator=both, proposal=proposal)
        with pytest.raises(OwnProposal):
            adjustment_reject(operator=both, proposal=proposal, reason="mine")
        superuser = operator(superuser=True)
        own = adjustment_propose(operator=superuser, person=asha, direction="credit", amount=100, reason="root's")
        with pytest.raises(OwnProposal):
            adjustment_approve(operator=superuser, proposal=own)
        assert balance(asha) == 10_000

    def test_approving_twice_posts_once(self, pair, operator):
        asha, _ = pair
        proposal = adjustment_propose(
            operator=operator("Finance"), person=asha, direction="credit", amount=100, reason="r"
        )
        adjustment_approve(operator=operator("Approver"), proposal=proposal)
        with pytest.raises(ProposalNotOpen):
            adjustment_approve(operator=operator("Approver"), proposal=proposal)
        assert balance(asha) == 10_100 and Transfer.objects.filter(kind="adjustment").count() == 1

    def test_a_debit_beyond_the_balance_is_refused_at_approval(self, pair, operator):
        asha, _ = pair
        proposal = adjustment_propose(
            operator=operator("Finance"), person=asha, direction="debit", amount=10_001, reason="r"
        )
        with pytest.raises(AdjustmentOverdraft):
            adjustment_approve(operator=operator("Approver"), proposal=proposal)
        proposal.refresh_from_db()
        assert proposal.status == "proposed" and balance(asha) == 10_000

    def test_older_than_seven_days_can_no_longer_be_approved(self, pair, operator):
        asha, _ = pair
        proposal = adjustment_propose(
            operator=operator("Finance"), person=asha, direction="credit", amount=100, reason="r"
        )
        AdjustmentProposal.objects.filter(pk=proposal.pk).update(
            proposed_at=timezone.now() - timedelta(days=7, minutes=1)
        )
        proposal.refresh_from_db()
        with pytest.raises(ProposalExpired):
            adjustment_approve(operator=operator("Approver"), proposal=proposal)
        assert balance(asha) == 10_000
        adjustment_reject(operator=operator("Approver"), proposal=proposal, reason="too old")  # can still be closed

    def test_a_rejected_proposal_posts_nothing_and_stays_rejected(self, pair, operator):
        asha, _ = pair
        approver = operator("Approver")
        proposal = adjustment_propose(
            operator=operator("Finance"), person=asha, direction="credit", amount=100, reason="r"
        )
        adjustment_reject(operator=approver, proposal=proposal, reason="no evidence")
        proposal.refresh_from_db()
        assert (proposal.status, proposal.decision_note, proposal.transfer) == ("rejected", "no evidence", None)
        with pytest.raises(ProposalNotOpen):
            adjustment_approve(operator=approver, proposal=proposal)
        assert balance(asha) == 10_000


class TestRoles:
    """Each role can do its actions and nothing more; superusers everything."""

    ACTIONS = {
        "freeze": lambda op, asha, bilal, t, p: wallet_set_frozen(operator=op, person=asha, frozen=True, reason="r"),
        "reverse": lambda op, asha, bilal, t, p: transfer_reverse(operator=op, transfer=t, reason="r"),
        "propose": lambda op, asha, bilal, t, p: adjustment_propose(
            operator=op, person=bilal, direction="credit", amount=100, reason="r"
        ),
        "approve": lambda op, asha, bilal, t, p: adjustment_approve(operator=op, proposal=p),
        "reject": lambda op, asha, bilal, t, p: adjustment_reject(operator=op, proposal=p, reason="r"),
        "deactivate": lambda op, asha, bilal, t, p: person_set_active(
            operator=op, person=bilal, active=False, reason="r"
        ),
    }
    ALLOWED = {
        "Support": {"freeze"},
        "Finance": {"reverse", "propose"},
        "Approver": {"approve", "reject"},
        None: set(),
        "superuser": set(ACTIONS),
    }

    @pytest.mark.parametrize("role", ["Support", "Finance", "Approver", None, "superuser"])
    @pytest.mark.parametrize("action", list(ACTIONS))
    def test_each_role_can_do_its_actions_and_nothing_more(self, pair, operator, role, action):
        asha, bilal = pair
        original = Transfer.objects.get(
            public_id=transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=100).transfer_id
        )
        proposal = adjustment_propose(
            operator=operator(superuser=True), person=asha, direction="credit", amount=100, reason="r"
        )
        actor = operator(superuser=True) if role == "superuser" else operator(*([role] if role else []))
        before = AuditEntry.objects.count()
        if action in self.ALLOWED[role]:
            self.ACTIONS[action](actor, asha, bilal, original, proposal)
            assert AuditEntry.objects.count() == before + 1
        else:
            with pytest.raises(OperationForbidden):
                self.ACTIONS[action](actor, asha, bilal, original, proposal)
            assert AuditEntry.objects.count() == before

    def test_a_person_without_staff_status_can_do_nothing_even_with_the_permission(self, pair, make_person):
        asha, _ = pair
        mallory = make_person("Mal", "Lory")
        mallory.groups.add(Group.objects.get(name="Support"))
        with pytest.raises(OperationForbidden):
            wallet_set_frozen(operator=User.objects.get(pk=mallory.pk), person=asha, frozen=True, reason="r")


class TestAuditInTheSameUnitOfWork:
    def test_an_action_whose_audit_entry_cannot_be_written_does_not_happen(self, pair, operator, monkeypatch):
        asha, _ = pair
        store_class = type(ledger_store())
        real_insert = store_class.insert

        def failing_audit(self, instance):
            if isinstance(instance, AuditEntry):
                raise RuntimeError("audit log unavailable")
            return real_insert(self, instance)

        monkeypatch.setattr(store_class, "insert", failing_audit)
        with pytest.raises(RuntimeError):
            wallet_set_frozen(operator=operator("Support"), person=asha, frozen=True, reason="fraud")
        assert not Account.objects.get(user=asha).frozen

    def test_a_reversal_whose_audit_entry_cannot_be_written_moves_no_money(self, pair, operator, monkeypatch):
        asha, bilal = pair
        original = Transfer.objects.get(
            public_id=transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=700).transfer_id
        )
        store_class = type(ledger_store())
        real_insert = store_class.insert
        monkeypatch.setattr(
            store_class,
            "insert",
            lambda self, instance: (
                (_ for _ in ()).throw(RuntimeError("audit log unavailable"))
                if isinstance(instance, AuditEntry)
                else real_insert(self, instance)
            ),
        )
        with pytest.raises(RuntimeError):
            transfer_reverse(operator=operator("Finance"), transfer=original, reason="r")
        assert not Transfer.objects.filter(kind="reversal").exists()
        assert (balance(asha), balance(bilal)) == (9_300, 5_700)
