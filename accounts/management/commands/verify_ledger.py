import sys

from django.core.management.base import BaseCommand

from accounts.ledger_checks import ledger_verify
from accounts.money import format_inr


class Command(BaseCommand):
    help = "Check every ledger invariant; exit 1 with a report if any is breached."

    def handle(self, *args, **options):
        report = ledger_verify()
        self.stdout.write(
            f"accounts={report.accounts} transfers={report.transfers} entries={report.entries} "
            f"sum of balances={format_inr(report.total_balance)}"
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS("ledger OK: every invariant holds"))
            return
        self.stderr.write(self.style.ERROR(f"ledger BREACHED: {len(report.breaches)} invariant(s) fail"))
        for line in report.breaches:
            self.stderr.write(f"  - {line}")
        sys.exit(1)
