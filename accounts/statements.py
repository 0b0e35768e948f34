"""Statements: a wallet's entries between two dates (inclusive, in India time), oldest first,
with the balances before and after, as JSON or CSV, streamed from a database cursor so that
memory stays flat whatever the range holds. Every statement reconciles: the opening balance
plus its entries is its closing balance."""

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Max, Sum
from django.utils import timezone

from accounts.exceptions import InvalidDateRange
from accounts.models import LedgerEntry
from accounts.money import PAISE_PER_RUPEE, rupees_json
from core.clock import INDIA, in_india
from core.replicas import PRIMARY, read_alias, read_on_replica, replica_failed

MAX_DAYS = 366
# The days a statement may cover: wide enough for any real statement, narrow enough that a
# day's start and end in India time, and in UTC, are dates every database can store
# (9999-12-31 has no next day; year 1 in India time is year 0 in UTC).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9999, 12, 30)
_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # YYYY-MM-DD only, ASCII digits
CSV_HEADER = ["date", "id", "kind", "direction", "counterparty", "amount", "balance_after"]
CHUNK = 500  # rows fetched from the database at a time: what memory holds at once
# What an entry of a statement shows, and nothing more (a person's row would bring a password hash).
ENTRY_COLUMNS = [
    "amount", "balance_after", "created_at",
    "transfer__public_id", "transfer__kind", "transfer__note", "transfer__created_at",
    "transfer__sender__user__public_id", "transfer__sender__user__first_name", "transfer__sender__user__last_name",
    "transfer__recipient__user__public_id", "transfer__recipient__user__first_name",
    "transfer__recipient__user__last_name",
]  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Statement:
    first_day: date
    last_day: date
    opening_balance: int  # paise
    closing_balance: int
    entries: Iterator  # LedgerEntry rows, oldest first, with transfer and counterparties loaded


def statement_period(first_raw, last_raw, *, today: date | None = None) -> tuple[date, date]:
    """The days asked for, as `YYYY-MM-DD` (either may be left out: the last defaults to today
    in India, the first to the first day of the last one's month)."""
    today = today or in_india(timezone.now()).date()
    last = _day(last_raw) if last_raw else today
    first = _day(first_raw) if first_raw else last.replace(day=1)
    if not FIRST_DAY <= first <= last <= LAST_DAY or (last - first).days + 1 > MAX_DAYS:
        raise InvalidDateRange()
    return first, last


def _day(raw) -> date:
    """`date.fromisoformat` also takes 20240101 and 2024-W01-1: only YYYY-MM-DD is a day here."""
    if not isinstance(raw, str) or not _ISO_DAY.match(raw):
        raise InvalidDateRange()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidDateRange() from None


def period_entries(*, user, first_day: date, last_day: date):
    """The person's ledger entries from the start of `first_day` to the end of `last_day`,
    India time, unordered, with what an entry shows loaded. A queryset bound to a replica
    when one is healthy and the person has not just moved money (core/replicas.py)."""
    return _period_entries(read_alias(for_user=user), user, first_day, last_day)


def _period_entries(alias: str, user, first_day: date, last_day: date):
    start = datetime.combine(first_day, time.min, tzinfo=INDIA)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=INDIA)
    return (
        LedgerEntry.objects.using(alias)
        .filter(account__user=user, created_at__gte=start, created_at__lt=end)
        .select_related("transfer__sender__user", "transfer__recipient__user")
        .only(*ENTRY_COLUMNS)
    )


def statement_get(*, user, first_day: date, last_day: date) -> Statement:
    """Read, entries included, from one database: a replica when one is healthy and the
    person has not just moved money (core/replicas.py), else the primary."""
    return read_on_replica(lambda alias: _statement(alias, user, first_day, last_day), for_user=user)


def _statement(alias: str, user, first_day: date, last_day: date) -> Statement:
    start = datetime.combine(first_day, time.min, tzinfo=INDIA)
    in_range = _period_entries(alias, user, first_day, last_day)
    before = (
        LedgerEntry.objects.using(alias)
        .filter(account__user=user, created_at__lt=start)
        .order_by("-pk")
        .values_list("balance_after", flat=True)
        .first()
    )
    opening = before or 0
    # The entries streamed are exactly those summed here, even if more arrive meanwhile.
    totals = in_range.aggregate(moved=Sum("amount"), last=Max("pk"))
    entries = _streamed(in_range.filter(pk__lte=totals["last"])) if totals["last"] is not None else iter(())
    return Statement(first_day, last_day, opening, opening + (totals["moved"] or 0), entries)


def _streamed(entries) -> Iterator:
    """`entries` oldest first from a database cursor, CHUNK at a time. Should the replica
    they come from stop meanwhile, the rest comes from the primary, from where it stopped:
    entries never change, and the last one was fixed when they were summed."""
    done = None
    try:
        for entry in entries.order_by("pk").iterator(chunk_size=CHUNK):
            done = entry.pk
            yield entry
    except Exception as error:
        if not replica_failed(entries.db, error):
            raise
        rest = entries.using(PRIMARY) if done is None else entries.using(PRIMARY).filter(pk__gt=done)
        yield from rest.order_by("pk").iterator(chunk_size=CHUNK)


def rupees_text(paise: int) -> str:
    """Signed rupees with two decimals: -1250 -> "-12.50"."""
    sign = "-" if paise < 0 else ""
    rupees, fraction = divmod(abs(paise), PAISE_PER_RUPEE)
    return f"{sign}{rupees}.{fraction:02d}"


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs: one that starts like a formula gets a
    leading apostrophe (OWASP's advice against CSV injection)."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


class _Line:
    """csv.writer writes one row into this and the row comes straight back: nothing piles up."""

    def write(self, text: str) -> str:
        return text


def csv_lines(statement: Statement) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_HEADER)
    for entry in statement.entries:
        other = entry.counterparty
        yield writer.writerow(
            [
                in_india(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                str(entry.transfer.public_id),
                entry.transfer.kind,
                "debit" if entry.amount < 0 else "credit",
                spreadsheet_safe(other.full_name) if other else "",
                rupees_text(entry.amount),
                rupees_text(entry.balance_after),
            ]
        )


def json_chunks(statement: Statement, serialize) -> Iterator[str]:
    """The statement as one JSON object, written as it is read; `serialize(entry)` gives the
    history item of an entry."""
    head = {
        "from": statement.first_day.isoformat(),
        "to": statement.last_day.isoformat(),
        "openingBalance": rupees_json(statement.opening_balance),
        "closingBalance": rupees_json(statement.closing_balance),
    }
    yield json.dumps(head)[:-1] + ', "entries": ['
    for number, entry in enumerate(statement.entries):
        yield ("," if number else "") + json.dumps(serialize(entry), default=str)
    yield "]}"
