"""The one-statement posting on PostgreSQL (PostgresLedgerStore.post_at_once): a payment with
no idempotency key is checked and written in one round trip, obeys the same rules as the long
way, writes nothing when refused (the long way then says why), is retried when the server
asks, and is never run inside another transaction."""

import pytest
from django.db import connection, transaction

from accounts.exceptions import AccountFrozen, InsufficientBalance, InvalidAccount
from accounts.models import Account, LedgerEntry, Transfer
from accounts.movements import Movement
from accounts.services import transfer_create
from accounts.stores import ledger_store
from accounts.stores.postgres import PostgresLedgerStore
from tests.accounts.stores.test_sql import serialization_failure

pytestmark = pytest.mark.skipif(
    not isinstance(ledger_store(), PostgresLedgerStore), reason="the one-statement posting is PostgreSQL's"
)


def lock_never_called(monkeypatch):
    """Fail the test if the long way's lock is taken: the payment should not need it."""

    def long_way(self, *pks):
        raise AssertionError("the long way was taken")

    monkeypatch.setattr(PostgresLedgerStore, "lock_accounts", long_way)


def entries_of(receipt):
    return {
        entry.account.user.first_name: (entry.amount, entry.balance_after)
        for entry in LedgerEntry.objects.filter(transfer__public_id=receipt.transfer_id).select_related("account__user")
    }


@pytest.mark.django_db(transaction=True)
def test_a_payment_is_checked_and_written_in_one_statement(make_person, monkeypatch, django_assert_num_queries):
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=5_000)
    lock_never_called(monkeypatch)
    store = ledger_store()
    movement = Movement(Transfer.Kind.TRANSFER, asha.account.pk, bilal.account.pk, 1_234, note="tea")

    with django_assert_num_queries(1):
        transfer, sender_after = store.post_at_once(movement)

    assert sender_after == 10_000 - 1_234
    row = Transfer.objects.get(pk=transfer.pk)
    assert (row.kind, row.sender_id, row.recipient_id, row.amount, row.note) == (
        "transfer",
        asha.account.pk,
        bilal.account.pk,
        1_234,
        "tea",
    )
    assert str(row.public_id) == transfer.public_id and row.created_at == transfer.created_at
    assert {e.account_id: (e.amount, e.balance_after, e.created_at) for e in row.entries.all()} == {
        asha.account.pk: (-1_234, 8_766, row.created_at),
        bilal.account.pk: (1_234, 6_234, row.created_at),
    }
    assert Account.objects.get(pk=asha.account.pk).balance == 8_766
    assert Account.objects.get(pk=bilal.account.pk).balance == 6_234
    assert not connection.in_atomic_block  # it committed by itself: nothing is left open


@pytest.mark.django_db(transaction=True)
def test_the_service_takes_the_short_way_and_its_receipt_agrees(make_person, monkeypatch):
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=5_000)
    lock_never_called(monkeypatch)
    receipt = transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=2_500)
    assert receipt.sender_balance == 7_500 and not receipt.replayed
    assert entries_of(receipt) == {"Asha": (-2_500, 7_500), "Bilal": (2_500, 7_500)}


@pytest.mark.parametrize(
    "prepare, amount, error",
    [
        (lambda asha, bilal: None, 10_001, InsufficientBalance),  # one paisa more than she has
        (lambda asha, bilal: Account.objects.filter(user=asha).update(frozen=True), 100, AccountFrozen),
        (lambda asha, bilal: Account.objects.filter(user=bilal).update(frozen=True), 100, InvalidAccount),
    ],
    ids=["insufficient", "sender-frozen", "recipient-frozen"],
)
@pytest.mark.django_db(transaction=True)
def test_a_refused_payment_writes_nothing_and_the_long_way_says_why(make_person, prepare, amount, error):
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=5_000)
    prepare(asha, bilal)
    store = ledger_store()
    assert store.post_at_once(Movement(Transfer.Kind.TRANSFER, asha.account.pk, bilal.account.pk, amount)) is None
    with pytest.raises(error):
        transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=amount)
    assert not Transfer.objects.filter(kind="transfer").exists()
    assert Account.objects.get(user=asha).balance == 10_000 and Account.objects.get(user=bilal).balance == 5_000


@pytest.mark.django_db(transaction=True)
def test_the_whole_balance_may_be_sent(make_person, monkeypatch):
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=100)
    lock_never_called(monkeypatch)
    receipt = transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=10_000)
    assert receipt.sender_balance == 0


@pytest.mark.django_db(transaction=True)
def test_system_accounts_adjustments_and_reversals_are_not_for_the_short_way(make_person):
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal")
    issuance = Account.objects.get(kind=Account.Kind.ISSUANCE)
    store = ledger_store()
    # a person cannot pay the issuance account, nor take money from it, by this statement
    assert store.post_at_once(Movement(Transfer.Kind.TRANSFER, asha.account.pk, issuance.pk, 100)) is None
    assert store.post_at_once(Movement(Transfer.Kind.TRANSFER, issuance.pk, asha.account.pk, 100)) is None
    assert store.post_at_once(Movement(Transfer.Kind.TRANSFER, asha.account.pk, asha.account.pk, 100)) is None
    adjustment = Movement(Transfer.Kind.ADJUSTMENT, asha.account.pk, bilal.account.pk, 100)
    assert store.post_at_once(adjustment) is None  # its own extra rule lives in check() alone
    reversal = Movement(Transfer.Kind.REVERSAL, asha.account.pk, bilal.account.pk, 100, reverses=1)
    assert store.post_at_once(reversal) is None  # and a reversal is claimed from its original
    assert Transfer.objects.filter(kind="transfer").count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_transient_failure_of_the_statement_is_retried_and_commits_once(make_person, monkeypatch):
    import accounts.stores.postgres as postgres

    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal", grant=5_000)
    lock_never_called(monkeypatch)
    real_fetch_one, attempts = postgres.fetch_one, []

    def failing_once(sql, params):
        if sql == postgres.POST_AT_ONCE_SQL:
            attempts.append(sql)
            if len(attempts) == 1:
                raise serialization_failure()
        return real_fetch_one(sql, params)

    monkeypatch.setattr(postgres, "fetch_one", failing_once)
    monkeypatch.setattr("accounts.stores.retry.time.sleep", lambda seconds: None)
    receipt = transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=1_234)
    assert attempts == [postgres.POST_AT_ONCE_SQL] * 2
    assert Transfer.objects.filter(kind="transfer").count() == 1
    assert entries_of(receipt) == {"Asha": (-1_234, 8_766), "Bilal": (1_234, 6_234)}


@pytest.mark.django_db(transaction=True)
def test_inside_another_transaction_it_is_a_loud_error(make_person):
    """Its statement would commit with the outer transaction, not by itself, and so could
    not be retried on its own: as for a unit of work (durable), it refuses."""
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal")
    with pytest.raises(RuntimeError, match="inside another transaction"), transaction.atomic():
        transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=100)
    assert Account.objects.get(user=asha).balance == 10_000


KINDS_AT_ONCE = [Transfer.Kind.TRANSFER, Transfer.Kind.REQUEST, Transfer.Kind.GRANT]


@pytest.mark.breaks_ledger  # balances are set by hand to reach every state: they are not their entries' sum
@pytest.mark.django_db(transaction=True)
def test_the_statement_refuses_exactly_what_the_rules_refuse(make_person):
    """The statement is the rules of accounts/movements.py written in SQL: for every kind it
    takes, every pair of accounts (people's and system ones, the same one twice), a balance
    just under, at and over the amount, and every freeze of the two, it posts exactly when
    `check` would, and then writes what `posting_of` would."""
    from itertools import product

    from accounts.movements import AccountState, check
    from accounts.postings import posting_of

    people = [make_person(name, grant=100) for name in ("Asha", "Bilal")]
    store = ledger_store()
    system = [store.system_account(Account.Kind.ISSUANCE), store.system_account(Account.Kind.ADJUSTMENT)]
    pks, amount = [person.account.pk for person in people] + system, 500
    cases = product(KINDS_AT_ONCE, pks, pks, (amount - 1, amount, amount + 1), (False, True), (False, True))
    for kind, sender, recipient, balance, sender_frozen, recipient_frozen in cases:
        Account.objects.filter(pk__in=pks[:2]).update(balance=balance, frozen=False)
        Account.objects.filter(pk__in=system).update(balance=-balance, frozen=False)  # issuance runs below zero
        Account.objects.filter(pk=sender).update(frozen=sender_frozen)
        Account.objects.filter(pk=recipient).update(frozen=recipient_frozen or (sender == recipient and sender_frozen))
        states = {a.pk: AccountState(a.pk, a.kind, a.balance, a.frozen) for a in Account.objects.filter(pk__in=pks)}
        movement = Movement(kind, sender, recipient, amount)
        refused = check(movement, states[sender], states[recipient])

        posted = store.post_at_once(movement)

        assert (posted is None) == (refused is not None), (movement, states[sender], states[recipient], refused)
        if posted is not None:
            expected = posting_of(movement, sender=states[sender], recipient=states[recipient])
            assert posted[1] == expected.sender.after
            assert Account.objects.get(pk=sender).balance == expected.sender.after
            assert Account.objects.get(pk=recipient).balance == expected.recipient.after
            assert sorted(
                Transfer.objects.get(pk=posted[0].pk).entries.values_list("account_id", "amount", "balance_after")
            ) == sorted([(sender, -amount, expected.sender.after), (recipient, amount, expected.recipient.after)])
