import pytest
from django.core.management import call_command

from accounts.models import Account, LedgerEntry, Transfer
from accounts.services import transfer_create

pytestmark = [pytest.mark.django_db, pytest.mark.breaks_ledger]


@pytest.fixture
def ledger(make_person):
    asha, bilal = make_person("Asha", "R", grant=10_000), make_person("Bilal", "K", grant=10_000)
    transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=300)
    return asha, bilal


def run_verify(capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_ledger")
    return exit_info.value.code, capsys.readouterr()


def test_clean_ledger_passes(ledger, capsys):
    call_command("verify_ledger")
    assert "ledger OK" in capsys.readouterr().out


def test_edited_balance_is_reported(ledger, capsys):
    asha, _ = ledger
    Account.objects.filter(user=asha).update(balance=1)
    code, output = run_verify(capsys)
    assert code == 1
    assert "balance differs from the sum of its entries" in output.err
    assert "sum to" in output.err


def test_database_itself_refuses_a_negative_user_balance(ledger):
    from django.db import IntegrityError, transaction

    asha, _ = ledger
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(user=asha).update(balance=-1)


def test_database_itself_refuses_a_transfer_to_self_or_of_zero(ledger):
    from django.db import IntegrityError, transaction

    account = Account.objects.filter(kind="user").first()
    for fields in [
        {"sender": account, "recipient": account, "amount": 5},
        {"sender": account, "recipient": Account.objects.exclude(pk=account.pk).first(), "amount": 0},
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Transfer.objects.create(**fields)


def test_one_sided_transfer_is_reported(ledger, capsys):
    transfer = Transfer.objects.filter(kind="transfer").get()
    LedgerEntry.objects.filter(transfer=transfer, amount__gt=0).delete()
    code, output = run_verify(capsys)
    assert code == 1 and "without exactly two entries" in output.err


def test_broken_running_balance_is_reported(ledger, capsys):
    entry = LedgerEntry.objects.filter(amount__lt=0, transfer__kind="transfer").get()
    LedgerEntry.objects.filter(pk=entry.pk).update(balance_after=entry.balance_after + 1)
    code, output = run_verify(capsys)
    assert code == 1 and "running sum" in output.err


@pytest.fixture
def operations(ledger):
    """A reversal and an approved adjustment, made by the operators' own services."""
    from django.contrib.auth.models import Group

    from accounts.operations import adjustment_approve, adjustment_propose, transfer_reverse
    from users.models import User

    asha, bilal = ledger
    finance = User.objects.create_user("finance@example.com", "operator pass 123", is_staff=True)
    approver = User.objects.create_user("approver@example.com", "operator pass 123", is_staff=True)
    finance.groups.add(Group.objects.get(name="Finance"))
    approver.groups.add(Group.objects.get(name="Approver"))
    original = Transfer.objects.get(kind="transfer")
    transfer_reverse(operator=User.objects.get(pk=finance.pk), transfer=original, reason="mistake")
    proposal = adjustment_propose(
        operator=User.objects.get(pk=finance.pk), person=asha, direction="credit", amount=500, reason="goodwill"
    )
    adjustment_approve(operator=User.objects.get(pk=approver.pk), proposal=proposal)
    return original, Transfer.objects.get(kind="reversal"), proposal


def test_reversals_and_adjustments_pass_the_check(operations, capsys):
    call_command("verify_ledger")
    assert "ledger OK" in capsys.readouterr().out


def test_a_reversal_that_does_not_mirror_its_original_is_reported(operations, capsys):
    _, reversal, _ = operations
    other = Transfer.objects.filter(kind="grant").first()
    Transfer.objects.filter(pk=reversal.pk).update(reverses=other)
    code, output = run_verify(capsys)
    assert code == 1 and "reversal that does not mirror its original" in output.err


def test_an_adjustment_without_an_approved_proposal_is_reported(operations, capsys):
    from accounts.models import AdjustmentProposal

    _, _, proposal = operations
    AdjustmentProposal.objects.filter(pk=proposal.pk).update(status="rejected", transfer=None)
    code, output = run_verify(capsys)
    assert code == 1 and "adjustment without an approved proposal" in output.err


def test_an_approved_adjustment_that_does_not_match_its_transfer_is_reported(operations, capsys):
    from accounts.models import AdjustmentProposal

    _, _, proposal = operations
    AdjustmentProposal.objects.filter(pk=proposal.pk).update(amount=501)
    code, output = run_verify(capsys)
    assert code == 1 and "approved adjustment whose transfer does not match it" in output.err


def test_the_database_refuses_what_it_can_of_these_breaches(operations):
    """A second reversal, an adjustment approved by its proposer: the constraints refuse them,
    so verify_ledger's own checks for them are tested on MongoDB (which has no constraints)."""
    from django.db import IntegrityError, transaction
    from django.db.models import F

    from accounts.models import AdjustmentProposal

    original, _, proposal = operations
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(
            kind="reversal", sender=original.recipient, recipient=original.sender, amount=1, reverses=original
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AdjustmentProposal.objects.filter(pk=proposal.pk).update(decided_by=F("proposed_by"))


def test_each_run_is_kept_for_the_overview(ledger, capsys):
    from accounts.models import LedgerCheck

    call_command("verify_ledger")
    Account.objects.filter(kind="user").update(balance=1)
    run_verify(capsys)
    assert list(LedgerCheck.objects.order_by("ran_at").values_list("ok", "ran_by")) == [
        (True, "manage.py verify_ledger"),
        (False, "manage.py verify_ledger"),
    ]
