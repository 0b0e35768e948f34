"""The operators' journeys in a real headless Chromium against a real server: sign in as each
role; Support freezes a wallet, Finance reverses a transfer and proposes an adjustment, an
Approver approves it; every list reads at 1280 px, and no page logs a console error. Money is
checked through the API, so the console cannot fool the test."""

import re
import subprocess
import sys
import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.live.browser import screenshot, watch_console
from tests.live.conftest import OPERATOR_PASSWORD, PROJECT, serve_wallet

pytestmark = pytest.mark.live_server
LONG_FIRST, LONG_LAST = "Venkatanarasimharajuvaripeta", "Chinnappareddigaripallevenkatasubbammagaaru" + "x" * 7


@pytest.fixture(scope="module")
def wallet(tmp_path_factory):
    with serve_wallet("sqlite", tmp_path_factory.mktemp("console")) as live:
        yield live


@pytest.fixture(scope="module")
def people(wallet):
    """Two people, one paying the other, and one with a 50-letter name."""
    asha, bilal = wallet.signup("Asha"), wallet.signup("Bilal")
    long_named = wallet.signup(LONG_FIRST)
    with wallet.client(long_named["token"]) as client:
        client.put("/api/v1/user", json={"lastName": LONG_LAST})
    with wallet.client(asha["token"]) as client:
        # Starting grants are random from ₹1.00: these two always fit.
        paid = client.post("/api/v1/account/transfer", json={"to": bilal["userId"], "amount": "0.34"}).json()
        client.post("/api/v1/account/transfer", json={"to": long_named["userId"], "amount": "0.25"})
    return {"asha": asha, "bilal": bilal, "long": long_named, "transfer": paid["transferId"]}


def make_operator(wallet, *roles, superuser=False) -> str:
    email = f"{'-'.join(roles).lower() or 'root'}-{uuid.uuid4().hex[:6]}@example.com"
    made = subprocess.run(
        [sys.executable, "manage.py", "create_operator", email, *(f"--role={r}" for r in roles)]
        + (["--superuser"] if superuser else []),
        cwd=PROJECT,
        env={**wallet.env, "OPERATOR_PASSWORD": OPERATOR_PASSWORD},
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    return email


@pytest.fixture
def console(browser, wallet):
    """console("Support") -> a page signed in to /admin/ as a new operator with that role."""
    contexts, problems = [], []

    def open_as(*roles, superuser=False):
        context = browser.new_context(base_url=wallet.base_url, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems.append(watch_console(page))
        page.goto("/admin/")
        page.get_by_label("Email").fill(make_operator(wallet, *roles, superuser=superuser))
        page.get_by_label("Password").fill(OPERATOR_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        return page

    expect.set_options(timeout=15_000)
    yield open_as
    for context in contexts:
        context.close()
    assert [p for found in problems for p in found] == []


def api_balance(wallet, person) -> int:
    with wallet.client(person["token"]) as client:
        return int(Decimal(str(client.get("/api/v1/account/balance").json()["balance"])) * 100)


def find(page, text):
    page.get_by_label("Find a person (email, name or id), a transfer or an adjustment (id)").fill(text)
    page.get_by_role("button", name="Find").click()


def test_the_overview(console, people):
    page = console("Support")
    expect(page).to_have_title(re.compile("Wallet operations"))
    expect(page.locator("#money-in-wallets")).to_contain_text("₹")
    expect(page.locator(".volume-chart")).to_be_visible()
    page.get_by_role("button", name="Run the ledger check now").click()
    expect(page.locator("#ledger-check-result")).to_contain_text("OK: every invariant holds")
    screenshot(page, "console-overview")


def test_support_freezes_a_wallet_and_the_api_refuses_its_sends(console, wallet, people):
    page = console("Support")
    find(page, people["bilal"]["userId"])
    expect(page.locator("#person-status")).to_have_text("active")
    expect(page.get_by_role("button", name="Propose adjustment")).to_have_count(0)  # not Support's
    page.get_by_label("Reason to freeze").fill("Fraud report #118: card testing")
    page.get_by_role("button", name="Freeze wallet").click()
    expect(page.locator(".messagelist")).to_contain_text("is frozen")
    expect(page.locator("#person-status")).to_have_text("frozen")
    screenshot(page, "console-person")
    with wallet.client(people["bilal"]["token"]) as client:
        refused = client.post("/api/v1/account/transfer", json={"to": people["asha"]["userId"], "amount": 1})
    assert refused.status_code == 400 and refused.json() == {"message": "Account frozen", "code": "account_frozen"}
    page.get_by_label("Reason to unfreeze").fill("Cleared by the bank")
    page.get_by_role("button", name="Unfreeze wallet").click()
    expect(page.locator("#person-status")).to_have_text("active")

    page.goto("/admin/accounts/auditentry/")
    expect(page.locator("#result_list")).to_contain_text("Fraud report #118: card testing")


def test_finance_reverses_a_transfer(console, wallet, people):
    page = console("Finance")
    asha_before, bilal_before = api_balance(wallet, people["asha"]), api_balance(wallet, people["bilal"])
    find(page, people["transfer"])
    expect(page.locator("#transfer-amount")).to_have_text("₹0.34")
    page.get_by_label("Reason").fill("Paid twice by mistake")
    page.get_by_role("button", name="Reverse transfer").click()
    expect(page.locator(".messagelist")).to_contain_text("Reversed: ₹0.34 went back")
    expect(page.locator("#reversed-by")).to_contain_text("Paid twice by mistake")
    expect(page.get_by_role("button", name="Reverse transfer")).to_have_count(0)
    screenshot(page, "console-transfer")
    assert api_balance(wallet, people["asha"]) == asha_before + 34
    assert api_balance(wallet, people["bilal"]) == bilal_before - 34
    with wallet.client(people["asha"]["token"]) as client:
        row = client.get("/api/v1/account/transactions").json()["transactions"][0]
    assert (row["kind"], row["note"]) == ("reversal", "Paid twice by mistake")


def test_finance_proposes_and_an_approver_approves(console, wallet, people):
    proposer = console("Finance")
    find(proposer, people["asha"]["userId"])
    proposer.get_by_label("Adjustment", exact=True).select_option("credit")
    proposer.get_by_label("Amount (₹)").fill("25.50")
    proposer.locator("#propose-adjustment").get_by_label("Reason", exact=True).fill(
        "Goodwill: failed cashback, ticket 5531"
    )
    proposer.get_by_role("button", name="Propose adjustment").click()
    expect(proposer.locator(".messagelist")).to_contain_text("Adjustment proposed")
    before = api_balance(wallet, people["asha"])

    approver = console("Approver")
    approver.goto("/admin/accounts/adjustmentproposal/?status__exact=proposed")
    approver.locator("#result_list .field-proposed_at a").first.click()
    expect(approver.locator("#proposal-status")).to_have_text("Waiting for approval")
    screenshot(approver, "console-adjustment")
    approver.get_by_role("button", name=re.compile("Approve and post")).click()
    expect(approver.locator(".messagelist")).to_contain_text("Approved and posted")
    expect(approver.locator("#proposal-status")).to_have_text("Approved and posted")
    assert api_balance(wallet, people["asha"]) == before + 2550


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/users/user/",
        "/admin/accounts/account/",
        "/admin/accounts/transfer/",
        "/admin/accounts/ledgerentry/",
        "/admin/accounts/adjustmentproposal/",
        "/admin/accounts/auditentry/",
    ],
)
def test_lists_read_at_1280_px_without_sideways_scrolling(console, people, path):
    page = console(superuser=True)
    page.goto(path)
    if path != "/admin/":
        expect(page.locator("#changelist")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, path


def test_a_persons_page_with_a_long_name_reads_at_1280_px(console, people):
    page = console(superuser=True)
    find(page, people["long"]["userId"])
    expect(page.locator("#profile-heading")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def test_a_persons_page_with_a_long_name_reads_on_a_phone(console, people):
    """At 390 px the title wraps and a wide table scrolls inside its panel, not the page."""
    page = console(superuser=True)
    page.set_viewport_size({"width": 390, "height": 900})
    find(page, people["long"]["userId"])
    expect(page.locator("#statement")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
