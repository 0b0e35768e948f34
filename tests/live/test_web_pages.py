"""The pages in a real headless Chromium (Debian's package, driven by Playwright) against
a real server. Money is checked through the API, so the pages cannot fool the test."""

import re
import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.live.browser import screenshot, sign_up_in_browser, watch_console

pytestmark = pytest.mark.live_server
PASSWORD = "correct horse battery"


@pytest.fixture
def page(browser, web_wallet):
    context = browser.new_context(base_url=web_wallet.base_url, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)
    problems = watch_console(page)
    yield page
    context.close()
    assert problems == []


def api_balance(wallet, email) -> int:
    with wallet.client() as client:
        token = client.post("/api/v1/user/signin", json={"username": email, "password": PASSWORD}).json()["token"]
    with wallet.client(token) as client:
        return int(Decimal(str(client.get("/api/v1/account/balance").json()["balance"])) * 100)


def api_history(wallet, email) -> list:
    with wallet.client() as client:
        token = client.post("/api/v1/user/signin", json={"username": email, "password": PASSWORD}).json()["token"]
    with wallet.client(token) as client:
        return client.get("/api/v1/account/transactions").json()["transactions"]


def shown_balance(page) -> int:
    return int(page.locator("#balance").get_attribute("data-paise"))


def make_recipient(wallet, first_name):
    return wallet.signup(first_name)


def review_payment(page, recipient_id: str, amount: str) -> None:
    """The send page for this person, with `amount` entered and "Send" pressed."""
    page.goto(f"/send?id={recipient_id}")
    page.get_by_label("Amount (₹)").fill(amount)
    page.get_by_role("button", name="Send").click()


def open_send_page(page, recipient_first_name):
    page.goto("/dashboard")
    page.get_by_label("Search people by name").fill(recipient_first_name)
    row = page.locator("#people li", has_text=recipient_first_name)
    row.first.wait_for()
    row.first.get_by_role("link", name=re.compile("Send money", re.I)).click()
    page.wait_for_url(re.compile(r".*/send\?id="))


def test_root_sends_people_to_sign_in_then_dashboard(page):
    page.goto("/")
    assert page.url.endswith("/signin")
    screenshot(page, "signin")
    page.goto("/signup")
    screenshot(page, "signup")
    sign_up_in_browser(page, "Rooted")
    page.goto("/")
    assert page.url.endswith("/dashboard")


def test_sign_up_search_send_and_both_sides_change_by_exactly_the_amount(page, web_wallet):
    recipient_first = "Rahul" + uuid.uuid4().hex[:4]
    recipient = make_recipient(web_wallet, recipient_first)
    with web_wallet.client(recipient["token"]) as client:
        recipient_start = int(Decimal(str(client.get("/api/v1/account/balance").json()["balance"])) * 100)
    me = sign_up_in_browser(page, "Priya")
    expect(page.get_by_role("heading", name="Hello, Priya")).to_be_visible()
    start = shown_balance(page)
    assert start == api_balance(web_wallet, me) > 0
    assert "Starting balance" in page.locator("#history").inner_text()

    # live search finds the other person from part of the name, whatever its case
    open_send_page(page, recipient_first.lower()[:7])
    screenshot(page, "send")
    assert page.locator(".recipient-name").inner_text() == f"{recipient_first} Live"

    amount = min(1234, start)
    page.get_by_label("Amount (₹)").fill(f"{Decimal(amount) / 100:.2f}")
    page.get_by_role("button", name="Send").click()
    page.locator("#confirm-text").wait_for()
    screenshot(page, "confirm")
    page.get_by_role("button", name="Confirm and send").click()
    page.wait_for_url("**/dashboard")
    screenshot(page, "dashboard")

    assert "Sent ₹" in page.locator(".flash-list").inner_text()
    assert shown_balance(page) == start - amount == api_balance(web_wallet, me)
    with web_wallet.client(recipient["token"]) as client:
        recipient_end = int(Decimal(str(client.get("/api/v1/account/balance").json()["balance"])) * 100)
        recipient_history = client.get("/api/v1/account/transactions").json()["transactions"]
    assert recipient_end == recipient_start + amount
    assert recipient_history[0]["direction"] == "credit"
    assert int(Decimal(str(recipient_history[0]["amount"])) * 100) == amount
    assert f"To {recipient_first} Live" in page.locator("#history li").first.inner_text()
    mine = api_history(web_wallet, me)
    assert mine[0]["direction"] == "debit" and mine[0]["counterparty"]["_id"] == recipient["userId"]


def test_sign_out_and_back_in(page):
    email = sign_up_in_browser(page, "Kabir")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin")
    page.goto("/dashboard")
    assert "/signin" in page.url
    page.get_by_label("Email").fill(email.upper())
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".form-error")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")
    expect(page.get_by_role("heading", name="Hello, Kabir")).to_be_visible()


def test_signup_errors_are_shown_beside_their_fields(page):
    page.goto("/signup")
    page.get_by_label("First name").fill("Zed")
    page.get_by_label("Last name").fill("Error")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password").fill("123")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#id_email-error")).to_be_visible()
    expect(page.locator("#id_password-error")).to_be_visible()
    assert "/signup" in page.url


@pytest.mark.parametrize("bad_amount", ["1.001", "abc", "-5", "0", "10000000"])
def test_invalid_amount_is_shown_and_nothing_moves(page, web_wallet, bad_amount):
    recipient = make_recipient(web_wallet, "Nila")
    me = sign_up_in_browser(page, "Amit")
    before = api_balance(web_wallet, me)
    review_payment(page, recipient["userId"], bad_amount)
    expect(page.locator("#id_amount-error")).to_be_visible()
    assert api_balance(web_wallet, me) == before


def test_an_amount_above_the_balance_is_refused_at_the_amount_step(page, web_wallet):
    recipient = make_recipient(web_wallet, "Ravi")
    me = sign_up_in_browser(page, "Lata")
    before = api_balance(web_wallet, me)
    review_payment(page, recipient["userId"], f"{Decimal(before + 1) / 100:.2f}")
    expect(page.locator("#id_amount-error")).to_contain_text("Insufficient balance")
    expect(page.get_by_role("button", name="Confirm and send")).to_have_count(0)
    assert api_balance(web_wallet, me) == before


def test_confirming_again_after_going_back_says_it_was_already_sent(page, web_wallet):
    recipient = make_recipient(web_wallet, "Veer")
    me = sign_up_in_browser(page, "Ojas")
    before = api_balance(web_wallet, me)
    review_payment(page, recipient["userId"], "12.50")
    page.get_by_role("button", name="Confirm and send").click()
    page.wait_for_url("**/dashboard")
    expect(page.locator(".flash-list")).to_contain_text("Sent ₹12.50 to Veer Live")

    page.go_back()  # the confirmation page, from the browser's history
    expect(page.get_by_role("button", name="Confirm and send")).to_be_visible()
    page.get_by_role("button", name="Confirm and send").click()
    page.wait_for_url("**/dashboard")
    expect(page.locator(".flash-list")).to_contain_text("Already sent: ₹12.50 to Veer Live on")
    expect(page.locator(".flash-list")).not_to_contain_text("Sent ₹12.50")
    assert api_balance(web_wallet, me) == before - 1250


def test_unknown_recipient_and_paying_yourself_are_refused(page, web_wallet):
    me = sign_up_in_browser(page, "Solo")
    page.goto(f"/send?id={uuid.uuid4()}&name=Ghost")
    expect(page.locator(".form-error")).to_contain_text("can't receive money")
    page.goto("/send?id=not-a-uuid")
    expect(page.locator(".form-error")).to_be_visible()
    with web_wallet.client() as client:
        token = client.post("/api/v1/user/signin", json={"username": me, "password": PASSWORD}).json()["token"]
    from rest_framework_simplejwt.backends import TokenBackend

    my_id = TokenBackend("HS256").decode(token, verify=False)["userId"]
    page.goto(f"/send?id={my_id}&name=Me")
    expect(page.locator(".form-error")).to_contain_text("yourself")
    expect(page.get_by_label("Amount (₹)")).to_have_count(0)


def test_double_clicking_send_pays_once(page, web_wallet):
    recipient = make_recipient(web_wallet, "Dina")
    me = sign_up_in_browser(page, "Eshan")
    before = api_balance(web_wallet, me)
    review_payment(page, recipient["userId"], "0.50")
    page.locator("#confirm-text").wait_for()
    # Replay the confirm form twice behind the page's back: the server must pay once.
    form = page.locator("#send-form")
    fields = {
        name: form.locator(f"input[name={name}]").get_attribute("value")
        for name in ["csrfmiddlewaretoken", "idempotency_key", "amount", "step"]
    }
    url = f"/send?id={recipient['userId']}"
    first = page.request.post(url, form=fields, headers={"Referer": page.url}, max_redirects=0)
    second = page.request.post(url, form=fields, headers={"Referer": page.url}, max_redirects=0)
    assert first.status == second.status == 302
    # And a real double click on the button.
    page.get_by_role("button", name="Confirm and send").dblclick()
    page.wait_for_url("**/dashboard")
    assert api_balance(web_wallet, me) == before - 50
    debits = [row for row in api_history(web_wallet, me) if row["direction"] == "debit"]
    assert len(debits) == 1


def test_csrf_is_enforced(page, web_wallet):
    recipient = make_recipient(web_wallet, "Cyra")
    me = sign_up_in_browser(page, "Forge")
    before = api_balance(web_wallet, me)
    forged = page.request.post(
        f"/send?id={recipient['userId']}",
        form={"amount": "1.00", "step": "confirm", "idempotency_key": uuid.uuid4().hex},
        max_redirects=0,
    )
    assert forged.status == 403
    assert api_balance(web_wallet, me) == before


LONG_FIRST, LONG_LAST = "Venkatanarasimharajuvaripeta", "Chinnappareddigaripallevenkatasubbamma" + "x" * 12


def assert_no_sideways_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", [390, 1280])
def test_long_names_never_widen_a_page(browser, web_wallet, width):
    """A name may be one 50-letter word: the dashboard (search results, history), the send
    and confirmation steps and the greeting wrap or shorten it instead of scrolling sideways."""
    assert len(LONG_LAST) == 50
    recipient = web_wallet.signup(LONG_FIRST)
    with web_wallet.client(recipient["token"]) as client:
        client.put("/api/v1/user", json={"lastName": LONG_LAST})
    context = browser.new_context(
        base_url=web_wallet.base_url, viewport={"width": width, "height": 844}, is_mobile=width < 500
    )
    page = context.new_page()
    problems = watch_console(page)
    sign_up_in_browser(page, LONG_FIRST, LONG_LAST)
    assert_no_sideways_scroll(page, width)
    page.get_by_label("Search people by name").fill(LONG_FIRST[:12])
    expect(page.locator(f"#people li:has(a[href*='{recipient['userId']}'])")).to_contain_text(LONG_LAST)
    assert_no_sideways_scroll(page, width)
    page.goto(f"/send?id={recipient['userId']}")
    assert_no_sideways_scroll(page, width)
    page.get_by_label("Amount (₹)").fill("1.00")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#confirm-text")).to_contain_text(LONG_LAST)
    assert_no_sideways_scroll(page, width)
    page.get_by_role("button", name="Confirm and send").click()
    page.wait_for_url("**/dashboard")
    expect(page.locator("#history li").first).to_contain_text(LONG_LAST)
    assert_no_sideways_scroll(page, width)
    if width < 500:
        screenshot(page, "dashboard-phone")
    context.close()
    assert problems == []
