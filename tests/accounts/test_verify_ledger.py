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
