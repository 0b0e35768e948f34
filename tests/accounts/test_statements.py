"""Statements: JSON and CSV, day boundaries in India time, reconciliation, formula-safe CSV,
bad ranges, and memory that stays flat while 100,000 entries stream out."""

import csv
import io
import json
import tracemalloc
from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account, LedgerEntry, Transfer
from accounts.services import transfer_create
from accounts.statements import rupees_text, spreadsheet_safe
from core.clock import INDIA

pytestmark = pytest.mark.django_db
STATEMENT = "/api/v1/account/statement"


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def at_india(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=INDIA)


@pytest.fixture
def dated(make_person):
    """Asha's ledger with entries at known India times around two midnights."""
    asha, bilal = make_person("Asha", "Rao", grant=100_000), make_person("Bilal", '=HYPERLINK("x")')
    Transfer.objects.filter(recipient__user=asha).update(created_at=at_india("2026-03-01", "09:00"))
    LedgerEntry.objects.filter(account__user=asha).update(created_at=at_india("2026-03-01", "09:00"))
    moments = [("2026-03-01", "23:59"), ("2026-03-02", "00:01"), ("2026-03-02", "23:59"), ("2026-03-03", "00:00")]
    for number, (day, clock) in enumerate(moments, start=1):
        receipt = transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=number * 100)
        moment = at_india(day, clock)
        Transfer.objects.filter(public_id=receipt.transfer_id).update(created_at=moment)
        LedgerEntry.objects.filter(transfer__public_id=receipt.transfer_id).update(created_at=moment)
    return asha, bilal


def test_json_statement_reconciles_with_india_day_boundaries(dated, client_for):
    asha, _ = dated
    response = client_for(asha).get(STATEMENT, {"from": "2026-03-02", "to": "2026-03-02"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    statement = json.loads(body_of(response))
    # 1,000.00 granted, 1.00 sent on the 1st at 23:59 IST: the 2nd opens at 999.00
    assert (statement["from"], statement["to"], statement["openingBalance"]) == ("2026-03-02", "2026-03-02", 999)
    assert [entry["amount"] for entry in statement["entries"]] == [2, 3]  # 00:01 and 23:59, oldest first
    moved = sum(Decimal(str(e["amount"])) * (-1 if e["direction"] == "debit" else 1) for e in statement["entries"])
    assert Decimal(str(statement["openingBalance"])) + moved == Decimal(str(statement["closingBalance"])) == 994
    assert set(statement["entries"][0]) == {
        "id",
        "kind",
        "direction",
        "amount",
        "balanceAfter",
        "counterparty",
        "note",
        "createdAt",
    }


def test_csv_statement(dated, client_for):
    asha, _ = dated
    response = client_for(asha).get(STATEMENT, {"from": "2026-03-01", "to": "2026-03-03", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="statement-2026-03-01-2026-03-03.csv"'
    rows = list(csv.reader(io.StringIO(body_of(response).decode())))
    assert rows[0] == ["date", "id", "kind", "direction", "counterparty", "amount", "balance_after"]
    assert [row[0] for row in rows[1:]] == [
        "2026-03-01 09:00:00",
        "2026-03-01 23:59:00",
        "2026-03-02 00:01:00",
        "2026-03-02 23:59:00",
        "2026-03-03 00:00:00",
    ]
    assert [(row[2], row[3], row[5], row[6]) for row in rows[1:3]] == [
        ("grant", "credit", "1000.00", "1000.00"),
        ("transfer", "debit", "-1.00", "999.00"),
    ]
    assert rows[1][4] == "" and rows[2][4] == '\'Bilal =HYPERLINK("x")'[0:0] + 'Bilal =HYPERLINK("x")'
    assert sum(Decimal(row[5]) for row in rows[1:]) == Decimal(rows[-1][6])  # opening 0 + entries = closing


def test_csv_cells_that_start_like_a_formula_are_neutralised(make_person, client_for):
    asha = make_person("Asha", "Rao", grant=10_000)
    payee = make_person("=cmd|' /C calc'!A0", "-Rao+3")
    transfer_create(sender=asha, recipient_id=str(payee.public_id), amount=100)
    today = timezone.localtime(timezone.now(), INDIA).date().isoformat()
    response = client_for(asha).get(STATEMENT, {"from": today, "to": today, "format": "csv"})
    counterparty = list(csv.reader(io.StringIO(body_of(response).decode())))[-1][4]
    assert counterparty == "'=cmd|' /C calc'!A0 -Rao+3"


@pytest.mark.parametrize(
    "text, safe", [("=1+1", "'=1+1"), ("+1", "'+1"), ("-x", "'-x"), ("@sum", "'@sum"), ("Asha", "Asha")]
)
def test_spreadsheet_safe(text, safe):
    assert spreadsheet_safe(text) == safe


@pytest.mark.parametrize("paise, text", [(0, "0.00"), (5, "0.05"), (-1250, "-12.50"), (100_000_000, "1000000.00")])
def test_rupees_text(paise, text):
    assert rupees_text(paise) == text


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-13-01", "to": "2026-12-31"},
        {"from": "yesterday", "to": "2026-01-01"},
        {"from": "2026-03-02", "to": "2026-03-01"},
        {"from": "2025-01-01", "to": "2026-01-02"},
        {"from": "2026-02-30"},
        # the edges of the calendar: a day with no next day, year 1 in India time (year 0 in UTC)
        {"from": "9999-12-31", "to": "9999-12-31"},
        {"from": "9999-12-31", "to": "9999-12-31", "format": "csv"},
        {"to": "9999-12-31"},
        {"from": "0001-01-01", "to": "0001-01-31"},
        {"from": "0001-01-01", "to": "0001-01-01", "format": "csv"},
        # YYYY-MM-DD only (date.fromisoformat also takes these)
        {"from": "20240101", "to": "20240102"},
        {"from": "2024-W01-1", "to": "2024-01-02"},
        {"from": "2024-01-01", "to": "2024-01-02T00:00"},
        {"from": "２０２４-01-01"},
    ],
)
def test_bad_ranges_are_400(make_person, client_for, params):
    response = client_for(make_person()).get(STATEMENT, params)
    assert response.status_code == 400 and response.json() == {
        "message": "Invalid date range",
        "code": "invalid_date_range",
    }


def test_a_year_of_366_days_is_allowed_and_defaults_are_this_month(make_person, client_for):
    client = client_for(make_person())
    assert client.get(STATEMENT, {"from": "2024-01-01", "to": "2024-12-31"}).status_code == 200  # a leap year
    today = timezone.localtime(timezone.now(), INDIA).date()
    statement = json.loads(body_of(client.get(STATEMENT)))
    assert (statement["from"], statement["to"]) == (today.replace(day=1).isoformat(), today.isoformat())


def test_statement_needs_a_token(api):
    assert api.get(STATEMENT).status_code == 403


def make_many_entries(person, other, count: int) -> None:
    """`count` transfers of ₹0.01 from `person` to `other`, written in bulk, with every
    invariant kept (entries and running balances as the ledger writes them)."""
    wallet, other_wallet = Account.objects.get(user=person), Account.objects.get(user=other)
    now = timezone.now()
    transfers = Transfer.objects.bulk_create(
        [
            Transfer(kind="transfer", sender=wallet, recipient=other_wallet, amount=1, created_at=now)
            for _ in range(count)
        ],
        batch_size=5000,
    )
    entries, mine, theirs = [], wallet.balance, other_wallet.balance
    for transfer in transfers:
        mine, theirs = mine - 1, theirs + 1
        entries.append(LedgerEntry(transfer=transfer, account=wallet, amount=-1, balance_after=mine, created_at=now))
        entries.append(
            LedgerEntry(transfer=transfer, account=other_wallet, amount=1, balance_after=theirs, created_at=now)
        )
    LedgerEntry.objects.bulk_create(entries, batch_size=10_000)
    Account.objects.filter(pk=wallet.pk).update(balance=mine)
    Account.objects.filter(pk=other_wallet.pk).update(balance=theirs)


def streamed(request, consume) -> int:
    """Make the request (the view runs), then feed each chunk of its streamed response to
    `consume`, as a client reads it; return the peak memory Python allocated meanwhile."""
    tracemalloc.start()
    for chunk in request().streaming_content:
        consume(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


class StatementRead:
    """What a client saw of one streamed statement: its size, rows, and (CSV) the sum of its
    amounts and the last running balance, to reconcile."""

    def __init__(self, output: str):
        self.output, self.bytes, self.rows, self.total, self.last = output, 0, 0, Decimal(0), None

    def __call__(self, chunk: bytes) -> None:
        self.bytes += len(chunk)
        if self.output == "csv" and self.rows:
            cells = chunk.decode().rstrip("\r\n").split(",")
            self.total += Decimal(cells[5])
            self.last = Decimal(cells[6])
        self.rows += 1


SMALL, LARGE = 1_000, 10_000  # entries in the two statements compared


@pytest.mark.parametrize("output", ["csv", "json"])
def test_a_statement_streams_in_memory_that_does_not_grow_with_its_range(make_person, client_for, output):
    """The same statement read at two sizes, ten times apart: the body grows tenfold, the peak
    memory of streaming it does not (read into a list, the peak grows with it)."""
    asha, bilal = make_person("Asha", "Rao", grant=500_000), make_person("Bilal", "Khan", grant=100)
    today = timezone.localtime(timezone.now(), INDIA).date().isoformat()
    client = client_for(asha)
    params = {"from": today, "to": today, "format": output}
    seen, peaks = {}, {}
    made = 0
    client.get(STATEMENT, {**params, "from": "2020-01-01", "to": "2020-01-01"})  # first-request set-up, not measured
    for size in (SMALL, LARGE):
        make_many_entries(asha, bilal, size - made)
        made = size
        seen[size] = StatementRead(output)
        peaks[size] = streamed(lambda: client.get(STATEMENT, params), seen[size])

    assert seen[LARGE].bytes > 9 * seen[SMALL].bytes
    assert peaks[LARGE] < 1.5 * peaks[SMALL], peaks
    if output == "csv":
        for size in (SMALL, LARGE):  # the header, the grant and the payments; opening 0 + entries = closing
            assert seen[size].rows == size + 2
            assert seen[size].total == seen[size].last == Decimal(500_000 - size) / 100


@pytest.mark.parametrize(
    "query",
    [{"start": "9999-12-31", "end": "9999-12-31"}, {"start": "0001-01-01", "end": "0001-01-02"}, {"start": "20240101"}],
)
def test_the_history_page_says_a_range_is_invalid_instead_of_failing(make_person, client, query):
    client.force_login(make_person())
    response = client.get("/history", query)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose dates as YYYY-MM-DD" in page
