"""People (users/models.py): one form per mailbox, and the migration that folds the emails
already stored (users/email_folding.py)."""

import logging

import pytest
from django.apps import apps

from users.email_folding import fold_stored_emails
from users.models import User, normalize_email


@pytest.mark.parametrize(
    ("email", "folded"),
    [
        ("  Sam@Example.COM ", "sam@example.com"),
        ("sam@\uff58.com", "sam@x.com"),
        ("sam@bücher.com", "sam@xn--bcher-kva.com"),
        ("sam@XN--BCHER-KVA.com", "sam@xn--bcher-kva.com"),
        ("zoe\u0308@example.com", "zoë@example.com"),
        ("no-at-sign", "no-at-sign"),
        ("sam@exa_mple.com", "sam@exa_mple.com"),  # IDNA refuses it; the validator judges it
    ],
)
def test_one_form_per_mailbox(email, folded):
    assert normalize_email(email) == folded


@pytest.mark.django_db
def test_the_migration_folds_stored_emails_and_never_merges_two_accounts(make_person, caplog):
    older, newer, other = make_person(email="a@x.com"), make_person(email="b@x.com"), make_person(email="c@x.com")
    # As rows written before emails were folded could be:
    User.objects.filter(pk=older.pk).update(email="sam@bücher.com")
    User.objects.filter(pk=newer.pk).update(email="sam@xn--bcher-kva.com")
    User.objects.filter(pk=other.pk).update(email="zoe\u0308@\uff58.com")

    with caplog.at_level(logging.WARNING, logger="users.email_folding"):
        fold_stored_emails(apps, None)

    emails = dict(User.objects.values_list("pk", "email"))
    assert emails[other.pk] == "zoë@x.com"
    assert emails[newer.pk] == "sam@xn--bcher-kva.com"  # already folded: kept
    assert emails[older.pk] == "sam@bücher.com"  # would clash: left as it was, and said so
    assert "already taken" in caplog.text
