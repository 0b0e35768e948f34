import sys

from django.core.management.base import BaseCommand

from accounts.money import format_inr
from accounts.operations import ledger_check_run


class Command(BaseCommand):
    help = (
        "Check every ledger invariant; exit 1 with a report if any is breached. The outcome is kept for the overview."
    )

    def handle(self, *args, **options):
        report, _ = ledger_check_run(ran_by="manage.py verify_ledger")
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
