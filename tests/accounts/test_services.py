"""Services of accounts/services.py not covered through the API: pruning expired idempotency records."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import IdempotencyRecord
from accounts.services import idempotency_records_prune, transfer_create

pytestmark = pytest.mark.django_db


def test_pruning_deletes_only_records_older_than_idempotency_key_hours(make_person, settings, capsys):
    settings.IDEMPOTENCY_KEY_HOURS = 1.5
    asha, bilal = make_person("Asha", grant=10_000), make_person("Bilal")
    for number in range(5):
        transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=100, idempotency_key=f"key-{number}")
    now = timezone.now()
    IdempotencyRecord.objects.filter(key__in=["key-0", "key-1", "key-2"]).update(created_at=now - timedelta(hours=2))
    IdempotencyRecord.objects.filter(key="key-3").update(created_at=now - timedelta(hours=1))

    assert idempotency_records_prune(now=now) == 3
    assert sorted(IdempotencyRecord.objects.values_list("key", flat=True)) == ["key-3", "key-4"]
    call_command("prune_idempotency_keys")
    assert "0 Idempotency-Key record(s) older than 1.5 h deleted" in capsys.readouterr().out
