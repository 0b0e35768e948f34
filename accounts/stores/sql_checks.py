"""Every ledger invariant (accounts/models.py), checked with the ORM on SQLite and PostgreSQL.

Returns a report instead of raising, so `manage.py verify_ledger` can print all breaches at
once and tests can assert on it after every money operation."""

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from accounts.models import Account, AdjustmentProposal, IdempotencyRecord, LedgerEntry, Transfer
from accounts.movements import RULES
from accounts.stores.base import SHOW_AT_MOST, LedgerReport


def sql_ledger_verify() -> LedgerReport:
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
    report.breach(
        "more than one system account of a kind (kind, count)",
        Account.objects.exclude(kind=Account.Kind.USER)
        .values("kind")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("kind", "n"),
    )

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
    wrong_accounts = Q()
    for kind, rules in RULES.items():
        wrong_accounts |= Q(kind=kind) & (~Q(sender__kind__in=rules.senders) | ~Q(recipient__kind__in=rules.recipients))
    report.breach(
        "transfer between accounts its kind does not allow (transfer)",
        Transfer.objects.filter(wrong_accounts | ~Q(kind__in=list(RULES))).values_list("public_id", flat=True),
    )
    report.breach(
        "reversal that does not mirror its original (reversal)",
        Transfer.objects.filter(kind=Transfer.Kind.REVERSAL)
        .exclude(
            reverses__sender=F("recipient"),
            reverses__recipient=F("sender"),
            reverses__amount=F("amount"),
            reverses__kind__in=[Transfer.Kind.TRANSFER, Transfer.Kind.REQUEST],
        )
        .values_list("public_id", flat=True),
    )
    report.breach(
        "transfer reversed more than once (transfer, reversals)",
        Transfer.objects.filter(reverses__isnull=False)
        .values("reverses__public_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("reverses__public_id", "n"),
    )
    approved = AdjustmentProposal.Status.APPROVED
    report.breach(
        "adjustment without an approved proposal (transfer)",
        Transfer.objects.filter(kind=Transfer.Kind.ADJUSTMENT)
        .exclude(adjustment_proposal__status=approved)
        .values_list("public_id", flat=True),
    )
    matches_its_transfer = Q(transfer__kind=Transfer.Kind.ADJUSTMENT, transfer__amount=F("amount")) & (
        Q(direction=AdjustmentProposal.Direction.CREDIT, transfer__recipient=F("account"))
        | Q(direction=AdjustmentProposal.Direction.DEBIT, transfer__sender=F("account"))
    )
    report.breach(
        "approved adjustment whose transfer does not match it (proposal)",
        AdjustmentProposal.objects.filter(status=approved)
        .exclude(matches_its_transfer)
        .values_list("public_id", flat=True),
    )
    report.breach(
        "adjustment decided by the operator who proposed it (proposal)",
        AdjustmentProposal.objects.filter(decided_by=F("proposed_by")).values_list("public_id", flat=True),
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
