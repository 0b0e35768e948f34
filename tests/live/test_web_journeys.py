"""What a person does beyond sending, in a real headless Chromium against a real server: ask for
money and get paid (or declined, or cancel), receive with a QR code and its link, read and
download the history, change name and password, sign out everywhere. Every page is checked at
phone width for sideways scrolling, for an accessible name on every control, and for console
errors. Money is checked through the API."""

import csv
import io
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.live.browser import screenshot, sign_up_in_browser, watch_console

pytestmark = pytest.mark.live_server
PASSWORD = "correct horse battery"
PHONE = {"width": 390, "height": 844}

UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
  .map(el => el.outerHTML)"""


@pytest.fixture
def browse(browser, web_wallet):
    """browse() -> a new phone-sized page (its own cookies); console errors fail the test."""
    contexts, problems = [], []

    def new_page(**viewport):
        context = browser.new_context(base_url=web_wallet.base_url, viewport=viewport or PHONE, is_mobile=not viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems.append(watch_console(page))
        return page

    expect.set_options(timeout=15_000)
    yield new_page
    for context in contexts:
        context.close()
    assert [p for found in problems for p in found] == []


def sign_up_journey(page, first_name, last_name="Journey") -> str:
    return sign_up_in_browser(page, first_name, last_name)


def sign_in(page, email, password=PASSWORD):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def api_token(wallet, email, password=PASSWORD) -> str:
    with wallet.client() as client:
        return client.post("/api/v1/user/signin", json={"username": email, "password": password}).json()["token"]


def api_balance(wallet, email) -> int:
    with wallet.client(api_token(wallet, email)) as client:
        return int(Decimal(str(client.get("/api/v1/account/balance").json()["balance"])) * 100)


def public_id(wallet, email) -> str:
    with wallet.client(api_token(wallet, email)) as client:
        return client.get("/api/v1/user/me").json()["_id"]


def page_is_sound(page):
    """No sideways scrolling at phone width, and every control has an accessible name."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url
    assert page.evaluate(UNLABELLED) == [], page.url


def test_ask_for_money_and_get_paid(browse, web_wallet):
    asker, payer = browse(), browse()
    asker_email = sign_up_journey(asker, "Meena")
    payer_email = sign_up_journey(payer, "Farhan")
    payer_before, asker_before = api_balance(web_wallet, payer_email), api_balance(web_wallet, asker_email)

    asker.goto("/requests")
    page_is_sound(asker)
    asker.get_by_label("Who do you want to ask? Search by name").fill("Farhan")
    asker.get_by_label("Who do you want to ask? Search by name").press("Enter")  # the keyboard is enough
    asker.get_by_role("link", name="Ask Farhan Journey").first.click()
    asker.get_by_label("Amount (₹)").fill("0.45")  # grants start at ₹1.00: always affordable
    asker.get_by_label("Note (optional)").fill("Movie tickets 🎬")
    asker.get_by_role("button", name="Send request").click()
    expect(asker.locator(".flash-list")).to_contain_text("Asked Farhan Journey for ₹0.45")
    expect(asker.locator("#outgoing")).to_contain_text("Waiting")
    page_is_sound(asker)

    payer.goto("/dashboard")
    expect(payer.locator("#requests-waiting")).to_have_text("1")
    payer.locator("#requests-waiting-link").click()
    expect(payer.locator("#incoming")).to_contain_text("Movie tickets 🎬")
    screenshot(payer, "requests")
    page_is_sound(payer)
    payer.get_by_role("button", name=re.compile("Pay ₹0.45 to Meena")).dblclick()  # a double click pays once
    expect(payer.locator(".flash-list")).to_contain_text("Paid")
    expect(payer.locator("#incoming")).to_contain_text("Paid")
    expect(payer.locator("#requests-waiting")).to_have_count(0)

    assert api_balance(web_wallet, payer_email) == payer_before - 45
    assert api_balance(web_wallet, asker_email) == asker_before + 45
    asker.goto("/requests")
    expect(asker.locator("#outgoing")).to_contain_text("Paid")
    asker.goto("/dashboard")
    expect(asker.locator("#history li").first).to_contain_text("Farhan Journey paid your request")


def test_decline_and_cancel(browse, web_wallet):
    asker, payer = browse(), browse()
    sign_up_journey(asker, "Kiran")
    payer_email = sign_up_journey(payer, "Tenzin")
    payer_id = public_id(web_wallet, payer_email)
    for amount in ("1.00", "2.00"):
        asker.goto(f"/requests?id={payer_id}")
        asker.get_by_label("Amount (₹)").fill(amount)
        asker.get_by_role("button", name="Send request").click()
        expect(asker.locator(".flash-list")).to_contain_text("Asked")
    asker.get_by_role("button", name="Cancel your request to Tenzin Journey").first.click()
    expect(asker.locator(".flash-list")).to_contain_text("Request cancelled")
    payer.goto("/requests")
    payer.get_by_role("button", name="Decline the request of Kiran Journey").click()
    expect(payer.locator(".flash-list")).to_contain_text("Request declined")
    expect(payer.locator("#incoming")).to_contain_text("Declined")
    expect(payer.locator("#incoming")).to_contain_text("Cancelled")
    expect(payer.get_by_role("button", name=re.compile("^Pay"))).to_have_count(0)


def test_receive_with_a_qr_code_and_its_link(browse, web_wallet):
    receiver, payer = browse(), browse()
    receiver_email = sign_up_journey(receiver, "Nalini")
    receiver_id = public_id(web_wallet, receiver_email)
    receiver.goto("/receive")
    expect(receiver.locator("#qr svg")).to_be_visible()
    link = receiver.locator("#pay-link").get_attribute("href")
    assert link == f"{web_wallet.base_url}/pay/{receiver_id}"
    screenshot(receiver, "receive")
    page_is_sound(receiver)

    payer_email = f"payer-{uuid.uuid4().hex[:8]}@example.com"
    web_wallet_user = {"username": payer_email, "firstName": "Rohit", "lastName": "Payer", "password": PASSWORD}
    with web_wallet.client() as client:
        client.post("/api/v1/user/signup", json=web_wallet_user).raise_for_status()
    payer.goto(link)  # as if scanned: not signed in yet
    expect(payer).to_have_url(re.compile(r"/signin\?next="))
    sign_in(payer, payer_email)
    expect(payer).to_have_url(re.compile(rf"/send\?id={receiver_id}"))
    expect(payer.locator(".recipient-name")).to_have_text("Nalini Journey")
    payer.get_by_label("Amount (₹)").fill("0.60")
    payer.get_by_role("button", name="Send").click()
    payer.get_by_role("button", name="Confirm and send").click()
    expect(payer.locator(".flash-list")).to_contain_text("Sent ₹0.60 to Nalini Journey")


def test_history_with_a_date_range_and_a_csv_download(browse, web_wallet):
    page = browse()
    email = sign_up_journey(page, "Harsha")
    other = web_wallet.signup("Nisha")
    token = api_token(web_wallet, email)
    with web_wallet.client(token) as client:
        for amount in range(1, 24):
            client.post(
                "/api/v1/account/transfer", json={"to": other["userId"], "amount": f"{amount}.00"}
            ).raise_for_status()
    page.goto("/history")
    expect(page.locator("#history li")).to_have_count(20)
    expect(page.locator("#history li").first).to_contain_text("To Nisha Live")
    page_is_sound(page)
    screenshot(page, "history")
    page.get_by_role("link", name="Older").click()
    expect(page.locator("#history li")).to_have_count(4)  # 23 payments and the starting balance
    expect(page.locator("#history li").last).to_contain_text("Starting balance")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert re.fullmatch(r"statement-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["date", "id", "kind", "direction", "counterparty", "amount", "balance_after"]
    assert len(rows) == 1 + 24 and sum(Decimal(r[5]) for r in rows[1:]) == Decimal(rows[-1][6])

    page.get_by_label("From", exact=True).fill("2020-01-01")
    page.get_by_label("To", exact=True).fill("2020-01-31")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#history")).to_contain_text("Nothing in these days")
    page.get_by_label("From", exact=True).fill("2020-03-01")
    page.get_by_label("To", exact=True).fill("2020-02-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".form-error")).to_contain_text("the first no later than the last")


def test_profile_name_password_and_sign_out_everywhere(browse, web_wallet):
    page, other_browser = browse(), browse()
    email = sign_up_journey(page, "Ira")
    other_browser.goto("/signin")
    sign_in(other_browser, email)
    other_browser.wait_for_url("**/dashboard")
    app_token = api_token(web_wallet, email)

    page.goto("/profile")
    page_is_sound(page)
    screenshot(page, "profile")
    page.get_by_label("First name").fill("Iravati")
    page.get_by_role("button", name="Save name").click()
    expect(page.locator(".flash-list")).to_contain_text("Your name is updated")
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name="Hello, Iravati")).to_be_visible()

    page.goto("/profile")
    page.get_by_label("Old password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("a brand new passphrase")
    page.get_by_label("New password confirmation").fill("a brand new passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#id_old_password-error")).to_be_visible()
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a brand new passphrase")
    page.get_by_label("New password confirmation").fill("a brand new passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".flash-list")).to_contain_text("Your password is changed")
    with web_wallet.client(app_token) as client:
        assert client.get("/api/v1/account/balance").status_code == 403  # the old password's tokens
    app_token = api_token(web_wallet, email, "a brand new passphrase")

    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page).to_have_url(re.compile("/signin$"))
    expect(page.locator(".flash-list")).to_contain_text("signed out everywhere")
    other_browser.goto("/dashboard")
    expect(other_browser).to_have_url(re.compile(r"/signin\?next="))
    with web_wallet.client(app_token) as client:
        assert client.get("/api/v1/account/balance").status_code == 403
    sign_in(page, email, "a brand new passphrase")
    page.wait_for_url("**/dashboard")


@pytest.mark.parametrize("path", ["/dashboard", "/requests", "/receive", "/history", "/profile", "/send?id=x"])
def test_every_page_reads_on_a_phone(browse, path):
    page = browse()
    sign_up_journey(page, "Venkatanarasimharajuvaripeta", "Chinnappareddigaripallevenkatasubbammagaarux")
    page.goto(path)
    page_is_sound(page)


MARKUP_FIRST, MARKUP_LAST = "<b>Bold</b>", "<i>Italic</i><script>alert(1)</script>"


@pytest.mark.parametrize("width", [390, 1280])
def test_every_page_reads_with_long_names_and_shows_markup_as_text(browse, web_wallet, width):
    """Item H: a 50-letter one-word name and a name made of markup, on every page, at phone and
    desktop width: nothing scrolls sideways, and the markup is shown as the text it is."""
    long_last = "Chinnappareddigaripallevenkatasubbamma" + "x" * 12
    other = web_wallet.signup("Venkatanarasimharajuvaripeta")
    with web_wallet.client(other["token"]) as client:
        client.put("/api/v1/user", json={"lastName": long_last})
    page = browse(width=width, height=844)
    email = f"marked-{uuid.uuid4().hex[:8]}@example.com"
    person = {"username": email, "firstName": MARKUP_FIRST, "lastName": MARKUP_LAST, "password": PASSWORD}
    with web_wallet.client() as client:
        client.post("/api/v1/user/signup", json=person).raise_for_status()
    page.goto("/signin")
    sign_in(page, email)
    page.wait_for_url("**/dashboard")
    with web_wallet.client(api_token(web_wallet, email)) as client:
        client.post("/api/v1/account/transfer", json={"to": other["userId"], "amount": "0.20"}).raise_for_status()
        asked = {"from": other["userId"], "amount": "0.30", "note": "<b>lunch</b> " + "y" * 80}
        client.post("/api/v1/account/requests", json=asked).raise_for_status()
    with web_wallet.client(other["token"]) as client:
        asked = {"from": public_id(web_wallet, email), "amount": "0.10", "note": "<i>tea</i>"}
        client.post("/api/v1/account/requests", json=asked).raise_for_status()
    assert len(long_last) == 50
    for path in (
        "/dashboard",
        f"/send?id={other['userId']}",
        "/requests",
        f"/requests?id={other['userId']}",
        "/requests?filter=Venkat",
        "/receive",
        "/history",
        "/profile",
    ):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        rendered = page.locator("main b, main i, main script, header b, header i").filter(
            has_text=re.compile("Bold|Italic|alert|lunch|tea")
        )
        assert rendered.count() == 0, path
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name=f"Hello, {MARKUP_FIRST}")).to_be_visible()
    page.get_by_label("Search people by name").fill("Venkat")
    expect(page.locator("#people li", has_text=long_last).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
