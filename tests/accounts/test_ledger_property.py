"""Random sequences of sign-ups and transfers (valid or not) keep every ledger invariant,
and every balance matches a simple model kept beside the real thing."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.exceptions import IdempotencyConflict, InsufficientBalance, InvalidAccount
from accounts.ledger_checks import ledger_verify
from accounts.models import Account
from accounts.money import STARTING_GRANT_MAX_PAISE, STARTING_GRANT_MIN_PAISE
from accounts.services import transfer_create
from users.services import user_signup

signup = st.tuples(st.just("signup"), st.integers(STARTING_GRANT_MIN_PAISE, STARTING_GRANT_MAX_PAISE))
transfer = st.tuples(
    st.just("transfer"),
    st.integers(0, 7),  # sender index
    st.integers(0, 7),  # recipient index (may equal the sender)
    st.one_of(st.integers(1, 2_000), st.integers(1, STARTING_GRANT_MAX_PAISE * 2)),
    st.one_of(st.none(), st.sampled_from(["k1", "k2", "k3"])),
)


class LedgerPropertyTest(TestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.one_of(signup, transfer), min_size=1, max_size=25))
    def test_invariants_hold_for_any_sequence(self, operations):
        from django.conf import settings as django_settings

        django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        people, expected, keys = [], {}, {}
        for operation in operations:
            if operation[0] == "signup":
                person = user_signup(
                    email=f"p{len(people)}@example.com",
                    first_name="P",
                    last_name=f"Number{len(people)}",
                    password="correct horse battery",
                    grant=operation[1],
                )
                people.append(person)
                expected[person.pk] = operation[1]
                continue
            _, i, j, amount, key = operation
            if not people:
                continue
            sender, recipient = people[i % len(people)], people[j % len(people)]
            remembered = keys.get((sender.pk, key)) if key else None
            try:
                transfer_create(
                    sender=sender, recipient_id=str(recipient.public_id), amount=amount, idempotency_key=key
                )
            except InvalidAccount:
                assert sender.pk == recipient.pk
            except IdempotencyConflict:
                assert remembered is not None and remembered[:2] != (recipient.pk, amount)
            except InsufficientBalance:
                assert remembered is not None or expected[sender.pk] < amount
                if key and remembered is None:
                    keys[(sender.pk, key)] = (recipient.pk, amount, "failed")
            else:
                assert sender.pk != recipient.pk
                if remembered is None:
                    expected[sender.pk] -= amount
                    expected[recipient.pk] += amount
                    if key:
                        keys[(sender.pk, key)] = (recipient.pk, amount, "ok")
                else:
                    assert remembered == (recipient.pk, amount, "ok")

            report = ledger_verify()
            assert report.ok, report.breaches
        actual = dict(Account.objects.filter(kind="user").values_list("user_id", "balance"))
        assert actual == expected
        assert all(balance >= 0 for balance in actual.values())
