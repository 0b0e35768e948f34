"""Every ledger invariant, checked against what is stored (see accounts/models.py).

Returns a report instead of raising, so `manage.py verify_ledger` can print all breaches
at once and tests can assert on it after every money operation."""

from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from accounts.models import Account, IdempotencyRecord, LedgerEntry, Transfer

SHOW_AT_MOST = 20


@dataclass
class LedgerReport:
    accounts: int = 0
    transfers: int = 0
    entries: int = 0
    total_balance: int = 0
    breaches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches

    def breach(self, title: str, rows) -> None:
        rows = list(rows[: SHOW_AT_MOST + 1]) if not isinstance(rows, list) else rows
        if rows:
            shown = ", ".join(str(row) for row in rows[:SHOW_AT_MOST])
            more = " ..." if len(rows) > SHOW_AT_MOST else ""
            self.breaches.append(f"{title}: {shown}{more}")


def ledger_verify() -> LedgerReport:
    from django.db import connection

    if connection.vendor == "mongodb":
        from accounts.ledger_checks_mongo import mongo_ledger_verify

        return mongo_ledger_verify(connection.database)
    report = LedgerReport(
        accounts=Account.objects.count(), transfers=Transfer.objects.count(), entries=LedgerEntry.objects.count()
    )

    report.breach(
        "balance differs from the sum of its entries (account, balance, sum)",
        Account.objects.annotate(total=Coalesce(Sum("entries__amount"), 0))
        .exclude(balance=F("total"))
        .values_list("pk", "balance", "total"),
    )
    report.total_balance = Account.objects.aggregate(total=Coalesce(Sum("balance"), 0))["total"]
    if report.total_balance != 0:
        report.breaches.append(f"balances of all accounts sum to {report.total_balance} paise, not 0")
    entries_total = LedgerEntry.objects.aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    if entries_total != 0:
        report.breaches.append(f"ledger entries sum to {entries_total} paise, not 0")
    report.breach(
        "user account below zero (account, balance)",
        Account.objects.filter(kind=Account.Kind.USER, balance__lt=0).values_list("pk", "balance"),
    )
    if Account.objects.filter(kind=Account.Kind.ISSUANCE).count() > 1:
        report.breaches.append("more than one issuance account")

    report.breach(
        "transfer without exactly two entries (transfer, entries)",
        Transfer.objects.annotate(n=Count("entries")).exclude(n=2).values_list("public_id", "n"),
    )
    report.breach(
        "debit entry not matching its transfer's sender and amount (entry)",
        LedgerEntry.objects.filter(amount__lt=0)
        .exclude(account=F("transfer__sender"), amount=-F("transfer__amount"))
        .values_list("pk", flat=True),
    )
    report.breach(
        "credit entry not matching its transfer's recipient and amount (entry)",
        LedgerEntry.objects.filter(amount__gt=0)
        .exclude(account=F("transfer__recipient"), amount=F("transfer__amount"))
        .values_list("pk", flat=True),
    )
    report.breach(
        "starting grant not from the issuance account, or a transfer that is (transfer)",
        Transfer.objects.filter(
            Q(kind=Transfer.Kind.GRANT) & ~Q(sender__kind=Account.Kind.ISSUANCE)
            | Q(kind=Transfer.Kind.TRANSFER)
            & (Q(sender__kind=Account.Kind.ISSUANCE) | Q(recipient__kind=Account.Kind.ISSUANCE))
        ).values_list("public_id", flat=True),
    )
    report.breach(
        "idempotency record pointing at another user's transfer (record)",
        IdempotencyRecord.objects.filter(transfer__isnull=False)
        .exclude(transfer__sender__user=F("user"))
        .values_list("pk", flat=True),
    )
    report.breach("balance_after not the running sum of entries (entry)", _broken_running_balances())
    return report


def _broken_running_balances() -> list:
    broken, account, running = [], None, 0
    rows = LedgerEntry.objects.order_by("account_id", "pk").values_list("pk", "account_id", "amount", "balance_after")
    for pk, account_id, amount, balance_after in rows.iterator(chunk_size=5000):
        if account_id != account:
            account, running = account_id, 0
        running += amount
        if balance_after != running:
            broken.append(pk)
            if len(broken) > SHOW_AT_MOST:
                break
    return broken
