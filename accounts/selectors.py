"""Reads of wallets: balance and history. Nothing here writes."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import (
    PERSON_TO_PERSON_KINDS,
    Account,
    AdjustmentProposal,
    AuditEntry,
    LedgerCheck,
    LedgerEntry,
    Transfer,
)
from accounts.stores import ledger_store
from core.clock import INDIA, in_india
from core.ids import parse_public_id
from core.pagination import Page, decode_cursor, keyset_page
from core.replicas import read_on_replica

HISTORY_DEFAULT_LIMIT = 20
HISTORY_MAX_LIMIT = 100


def balance_get(*, user) -> int:
    """The user's balance in paise; 0 for someone without a wallet (operators)."""
    return ledger_store().balance(user_pk=user.pk)


def balance_for_request(*, user) -> int:
    """balance_get for a request that reads the balance and nothing else (the API's balance
    endpoint). When the request's authentication read the balance with the person (on
    PostgreSQL, in the same statement), that reading is the answer: it was taken on the
    primary, without a lock, a moment earlier in this same request, which is all a second
    read would be too, and it saves a round trip. Nothing that moves money may use it."""
    balance = getattr(user, "balance_when_authenticated", None)
    return balance_get(user=user) if balance is None else balance


def wallet_is_frozen(*, user) -> bool:
    return Account.objects.filter(user=user, frozen=True).exists()


def payable_person(public_id, *, exclude=None):
    """The person with this public id (a UUID or its text) whose wallet can be paid or asked
    for money (Account.objects.payable), other than `exclude`; None otherwise."""
    key = parse_public_id(public_id)
    if key is None:
        return None
    wallets = Account.objects.payable().filter(user__public_id=key).select_related("user")
    if exclude is not None:
        wallets = wallets.exclude(user_id=exclude.pk)
    wallet = wallets.first()
    return None if wallet is None else wallet.user


def wallet_id_for(*, public_id) -> object | None:
    """The primary key of the wallet of the active person with this public id, or None."""
    return ledger_store().wallet_id(public_id=public_id)


def transactions_list(*, user, cursor: str | None = None, limit: int = HISTORY_DEFAULT_LIMIT) -> Page:
    """The user's ledger entries, newest first, with the transfer and counterparty loaded.

    Keyset pagination on the entry's primary key: stable while new entries arrive, and
    served by the (account, -id) index at any depth. Read from a replica when one is healthy
    and the person has not just moved money (core/replicas.py)."""
    before = decode_cursor(cursor, LedgerEntry) if cursor else None

    def read(alias: str) -> list:
        entries = (
            LedgerEntry.objects.using(alias)
            .filter(account__user=user)
            .select_related("transfer__sender__user", "transfer__recipient__user")
            .order_by("-pk")
        )
        if before is not None:
            entries = entries.filter(pk__lt=before)
        return list(entries[: limit + 1])

    return keyset_page(read_on_replica(read, for_user=user), limit=limit)


# -- the operators' overview -------------------------------------------------------------------

CHART_DAYS = 30
LATEST_ACTIONS = 10


@dataclass(frozen=True)
class DailyVolume:
    day: date
    payments: int
    volume: int  # paise


@dataclass(frozen=True)
class Overview:
    money_in_wallets: int  # paise, the sum of every person's balance
    money_issued: int  # paise, every starting grant ever made
    adjustments_net: int  # paise added to wallets (negative: taken) by approved adjustments
    wallets: int
    frozen_wallets: int
    today: DailyVolume
    last_7_days: DailyVolume  # day: the first of the seven
    daily: list[DailyVolume]  # the last CHART_DAYS days, oldest first, quiet days included
    proposals_waiting: int  # proposed and still recent enough to approve (what the list's link shows)
    latest_check: LedgerCheck | None
    latest_actions: list[AuditEntry]  # the newest LATEST_ACTIONS, with their operator


def operations_overview(*, now: datetime | None = None) -> Overview:
    """Payments are person to person (transfers and paid requests); days are India's. Read
    from a replica when one is healthy (core/replicas.py), every figure from the same one."""
    return read_on_replica(lambda alias: _overview(alias, now))


def _overview(alias: str, now: datetime | None) -> Overview:
    today = in_india(now or timezone.now()).date()
    first_day = today - timedelta(days=CHART_DAYS - 1)
    since = datetime.combine(first_day, time.min, tzinfo=INDIA)
    per_day = {
        row["day"]: DailyVolume(day=row["day"], payments=row["payments"], volume=row["volume"])
        for row in Transfer.objects.using(alias)
        .filter(kind__in=PERSON_TO_PERSON_KINDS, created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=INDIA))
        .values("day")
        .annotate(payments=Count("pk"), volume=Sum("amount"))
    }
    daily = [per_day.get(day, DailyVolume(day, 0, 0)) for day in (first_day + timedelta(n) for n in range(CHART_DAYS))]
    week = daily[-7:]
    accounts = Account.objects.using(alias)
    balances = dict(accounts.exclude(kind=Account.Kind.USER).values_list("kind", "balance"))
    wallets = accounts.filter(kind=Account.Kind.USER).aggregate(
        count=Count("pk"), money=Coalesce(Sum("balance"), 0), frozen=Count("pk", filter=Q(frozen=True))
    )
    return Overview(
        money_in_wallets=wallets["money"],
        money_issued=-balances.get(Account.Kind.ISSUANCE, 0),
        adjustments_net=-balances.get(Account.Kind.ADJUSTMENT, 0),
        wallets=wallets["count"],
        frozen_wallets=wallets["frozen"],
        today=daily[-1],
        last_7_days=DailyVolume(week[0].day, sum(d.payments for d in week), sum(d.volume for d in week)),
        daily=daily,
        proposals_waiting=AdjustmentProposal.objects.using(alias).open(now or timezone.now()).count(),
        latest_check=LedgerCheck.objects.using(alias).order_by("-ran_at").first(),
        latest_actions=list(
            AuditEntry.objects.using(alias).select_related("actor").order_by("-created_at")[:LATEST_ACTIONS]
        ),
    )
