"""The operators' journeys in a real headless Chromium against a real server: sign in as each
role; Support freezes a wallet, Finance reverses a transfer and proposes an adjustment, an
Approver approves it, a superuser adds an operator; every page works under the
Content-Security-Policy, reads at 390 and 1280 px with a 50-letter name and a name made of
markup, and no page logs a console error. Money is checked through the API, so the console
cannot fool the test."""

import re
import subprocess
import sys
import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.live.browser import screenshot, watch_console
from tests.live.conftest import OPERATOR_PASSWORD, PROJECT, serve_wallet
from tests.live.test_web_pages import assert_no_violations, visit_under_csp, watch_csp

pytestmark = pytest.mark.live_server
LONG_FIRST, LONG_LAST = "Venkatanarasimharajuvaripeta", "Chinnappareddigaripallevenkatasubbammagaaru" + "x" * 7
MARKUP_FIRST, MARKUP_LAST = "<b>Bold</b>", "<i>Italic</i><script>alert(1)</script>"


@pytest.fixture(scope="module")
def wallet(tmp_path_factory):
    with serve_wallet("sqlite", tmp_path_factory.mktemp("console")) as live:
        yield live


@pytest.fixture(scope="module")
def people(wallet):
    """Two people, one paying the other, one with a 50-letter name and one named in markup,
    who asks the long-named one for money."""
    asha, bilal = wallet.signup("Asha"), wallet.signup("Bilal")
    long_named, marked = wallet.signup(LONG_FIRST), wallet.signup("Marked")
    with wallet.client(long_named["token"]) as client:
        client.put("/api/v1/user", json={"lastName": LONG_LAST})
    with wallet.client(marked["token"]) as client:
        client.put("/api/v1/user", json={"firstName": MARKUP_FIRST, "lastName": MARKUP_LAST})
        asked = {"from": long_named["userId"], "amount": "0.75", "note": "<b>lunch</b> " + "x" * 60}
        client.post("/api/v1/account/requests", json=asked).raise_for_status()
    with wallet.client(asha["token"]) as client:
        # Starting grants are random from ₹1.00: these always fit.
        paid = client.post("/api/v1/account/transfer", json={"to": bilal["userId"], "amount": "0.34"}).json()
        client.post("/api/v1/account/transfer", json={"to": long_named["userId"], "amount": "0.25"})
        client.post("/api/v1/account/transfer", json={"to": marked["userId"], "amount": "0.15"})
    return {"asha": asha, "bilal": bilal, "long": long_named, "marked": marked, "transfer": paid["transferId"]}


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

    def open_as(*roles, superuser=False, width=1280):
        context = browser.new_context(base_url=wallet.base_url, viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems.append(watch_console(page))
        page.csp_said = watch_csp(page)
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
        "/admin/users/user/?who=operators",
        "/admin/accounts/account/",
        "/admin/accounts/transfer/",
        "/admin/accounts/ledgerentry/",
        "/admin/accounts/moneyrequest/",
        "/admin/accounts/adjustmentproposal/",
        "/admin/accounts/auditentry/",
        "/admin/accounts/ledgercheck/",
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


def test_a_superuser_adds_an_operator_who_signs_in_with_their_role(browser, wallet, console, people):
    root = console(superuser=True)
    root.goto("/admin/users/user/?who=operators")
    root.get_by_role("link", name="Add operator").click()
    email = f"nia-{uuid.uuid4().hex[:6]}@example.com"
    root.get_by_label("Email address").fill(email)
    root.get_by_label("First name").fill("Nia")
    root.get_by_label("Last name").fill("Ops")
    root.locator("#id_password1").fill(OPERATOR_PASSWORD)
    root.locator("#id_password2").fill(OPERATOR_PASSWORD)
    root.get_by_role("button", name="Save").click()
    expect(root.locator(".errorlist")).to_contain_text("at least one role")
    root.locator("#id_password1").fill(OPERATOR_PASSWORD)
    root.locator("#id_password2").fill(OPERATOR_PASSWORD)
    root.get_by_label("Support").check()
    root.get_by_role("button", name="Save").click()
    expect(root.locator(".messagelist")).to_contain_text(
        f"Nia Ops ({email}) is now an operator with the role(s) Support"
    )
    expect(root.locator("#content h1")).to_have_text("Operator")
    expect(root.locator("input[name=is_staff], input[name=user_permissions]")).to_have_count(0)

    context = browser.new_context(base_url=wallet.base_url, viewport={"width": 1280, "height": 900})
    newcomer = context.new_page()
    newcomer.goto("/admin/")
    newcomer.get_by_label("Email").fill(email)
    newcomer.get_by_label("Password").fill(OPERATOR_PASSWORD)
    newcomer.get_by_role("button", name="Log in").click()
    expect(newcomer.get_by_role("heading", name="Overview")).to_be_visible()
    find(newcomer, people["bilal"]["userId"])
    expect(newcomer.get_by_role("button", name="Freeze wallet")).to_be_visible()  # Support's action
    context.close()
    with wallet.client() as client:  # an operator is no wallet holder: the API does not sign them in
        refused = client.post("/api/v1/user/signin", json={"username": email, "password": OPERATOR_PASSWORD})
    assert refused.status_code == 411


# -- every page under the Content-Security-Policy (item A) ----------------------------------------


def test_every_console_page_works_under_the_content_security_policy(browser, wallet, people, console):
    """The login page, the overview, every list and every kind of page, the operator's forms
    and the bulk freeze's reason page: a strict policy on each, and no violation."""
    anonymous = browser.new_context(base_url=wallet.base_url).new_page()
    said = watch_csp(anonymous)
    visit_under_csp(anonymous, "/admin/login/", said, ready="#id_username")
    anonymous.context.close()

    page = console(superuser=True)
    said = page.csp_said
    assert_no_violations(page, said, "signing in")
    page.get_by_role("button", name="Run the ledger check now").click()
    expect(page.locator("#ledger-check-result")).to_contain_text("OK")
    find(page, people["marked"]["userId"])
    person = page.url
    lists = {
        "/admin/": ".volume-chart",
        "/admin/users/user/": "#result_list",
        "/admin/users/user/?who=operators": "#result_list",
        "/admin/accounts/account/": "#result_list",
        "/admin/accounts/transfer/": "#result_list",
        "/admin/accounts/ledgerentry/": "#result_list",
        "/admin/accounts/moneyrequest/": "#result_list",
        "/admin/accounts/adjustmentproposal/": "#changelist",
        "/admin/accounts/auditentry/": "#changelist",
        "/admin/accounts/ledgercheck/": "#result_list",
        "/admin/users/user/add/": "#id_email",
        "/admin/password_change/": "#id_old_password",
        person: "#statement",
    }
    for path, ready in lists.items():
        visit_under_csp(page, path, said, ready=ready)
    # One page of each kind, opened from its list.
    for path, link in {
        "/admin/accounts/transfer/": "#result_list .field-created_at a",
        "/admin/accounts/ledgerentry/": "#result_list .field-created_at a",
        "/admin/accounts/moneyrequest/": "#result_list .field-created_at a",
        "/admin/accounts/ledgercheck/": "#result_list tbody th a",
        "/admin/users/user/?who=operators": "#result_list .field-name a",
    }.items():
        visit_under_csp(page, path, said, ready="#result_list")
        page.locator(link).first.click()
        page.wait_for_load_state("networkidle")
        expect(page.locator("#content h1")).to_be_visible()
        assert_no_violations(page, said, f"a page from {path}")

    # An adjustment and an audit entry of it, then the bulk freeze's reason page.
    page.goto(person)
    page.get_by_label("Adjustment", exact=True).select_option("credit")
    page.get_by_label("Amount (₹)").fill("1.00")
    page.locator("#propose-adjustment").get_by_label("Reason", exact=True).fill("Goodwill under a strict policy")
    page.get_by_role("button", name="Propose adjustment").click()
    expect(page.locator(".messagelist")).to_contain_text("Adjustment proposed")
    for path, link in (
        ("/admin/accounts/adjustmentproposal/", "#result_list .field-proposed_at a"),
        ("/admin/accounts/auditentry/", "#result_list .field-action a"),
    ):
        visit_under_csp(page, path, said, ready="#result_list")
        page.locator(link).first.click()
        page.wait_for_load_state("networkidle")
        assert_no_violations(page, said, f"a page from {path}")
    visit_under_csp(page, "/admin/users/user/", said, ready="#result_list")
    page.locator("#result_list tbody input.action-select").first.check()
    page.locator("select[name=action]").select_option("freeze_wallets")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Freeze wallets")).to_be_visible()
    assert_no_violations(page, said, "the bulk freeze's reason page")


# -- the overview uses the width (item 21) ---------------------------------------------------------


def test_the_overview_uses_the_width_at_1280_px(console, people):
    page = console("Support")
    money = page.locator("section:has(#money-in-wallets)").bounding_box()
    actions = page.locator("#recent-actions-module").bounding_box()
    chart = page.locator(".volume-chart").bounding_box()
    assert money["width"] > 700, money  # was a 550 px column
    assert actions["x"] > 640 and actions["x"] + actions["width"] > 1100, actions  # the right half, used
    assert chart["width"] > 650, chart
    # The four money figures stand in one row.
    tops = {round(page.locator(f"#{figure}").bounding_box()["y"]) for figure in ("money-in-wallets", "wallets")}
    assert len(tops) == 1, tops
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


# -- long names and markup at 390 and 1280 px (item H) ---------------------------------------------


def console_paths(page, people) -> list[str]:
    paths = [
        "/admin/",
        "/admin/users/user/",
        "/admin/users/user/?who=operators",
        "/admin/accounts/account/",
        "/admin/accounts/transfer/",
        "/admin/accounts/ledgerentry/",
        "/admin/accounts/moneyrequest/",
        "/admin/accounts/adjustmentproposal/",
        "/admin/accounts/auditentry/",
        "/admin/accounts/ledgercheck/",
        "/admin/users/user/add/",
    ]
    for who in ("long", "marked"):
        paths.append(page.context.request.get(f"/admin/find/?q={people[who]['userId']}").url)
    for path, link in (
        ("/admin/accounts/ledgerentry/?q=Marked", "#result_list .field-created_at a"),
        ("/admin/accounts/moneyrequest/", "#result_list .field-created_at a"),
        ("/admin/accounts/transfer/?q=" + LONG_LAST[:20], "#result_list .field-created_at a"),
    ):
        page.goto(path)
        paths.append(page.locator(link).first.get_attribute("href"))
    return paths


@pytest.mark.parametrize("width", [390, 1280])
def test_every_page_reads_with_long_names_and_shows_markup_as_text(console, people, wallet, width):
    page = console(superuser=True, width=width)
    root = console(superuser=True)  # acts on the long-named person, so the audit log names them
    find(root, people["long"]["userId"])
    root.get_by_label("Reason to freeze").fill(f"Checked {LONG_LAST}")
    root.get_by_role("button", name="Freeze wallet").click()
    root.get_by_label("Reason to unfreeze").fill("<b>cleared</b>")
    root.get_by_role("button", name="Unfreeze wallet").click()
    for path in console_paths(page, people):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        rendered = page.locator("#content b, #content i, #content script").filter(
            has_text=re.compile("Bold|Italic|alert|cleared")
        )
        assert rendered.count() == 0, path  # a name or a reason made of markup is text
    find(page, people["marked"]["userId"])
    expect(page.locator("#content h1")).to_have_text(f"{MARKUP_FIRST} {MARKUP_LAST}")
    expect(page.locator(".breadcrumbs")).to_contain_text(MARKUP_FIRST)
