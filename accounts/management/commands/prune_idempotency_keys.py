from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.services import idempotency_records_prune


class Command(BaseCommand):
    help = (
        "Delete Idempotency-Key records older than IDEMPOTENCY_KEY_HOURS (they are treated as new requests "
        "already; this keeps the table small). deploy/systemd runs it hourly."
    )

    def handle(self, *args, **options):
        deleted = idempotency_records_prune()
        self.stdout.write(
            f"{deleted} Idempotency-Key record(s) older than {settings.IDEMPOTENCY_KEY_HOURS:g} h deleted"
        )
