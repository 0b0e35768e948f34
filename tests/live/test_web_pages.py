"""The pages in a real headless Chromium (Debian's package, driven by Playwright) against
a real server. Money is checked through the API, so the pages cannot fool the test."""

import re
import shutil
import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.live.browser import CHROMIUM_ARGS, screenshot, sign_up_in_browser, watch_console

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


def reload_error_page(page, tries: int = 20) -> None:
    """Reload Chromium's own error page, which it may still be swapping into a process of its
    own ("not attached to an active page" until then)."""
    for _ in range(tries - 1):
        try:
            page.reload()
            return
        except PlaywrightError as error:
            if "Not attached to an active page" not in str(error):
                raise
            page.wait_for_timeout(100)
    page.reload()


def test_confirming_again_after_going_back_says_it_was_already_sent(page, web_wallet):
    recipient = make_recipient(web_wallet, "Veer")
    me = sign_up_in_browser(page, "Ojas")
    before = api_balance(web_wallet, me)
    review_payment(page, recipient["userId"], "12.50")
    page.get_by_role("button", name="Confirm and send").click()
    page.wait_for_url("**/dashboard")
    expect(page.locator(".flash-list")).to_contain_text("Sent ₹12.50 to Veer Live")

    # Back to the confirmation page: it is no-store, so the browser keeps no copy of it
    # (Chromium's "Confirm form resubmission", ERR_CACHE_MISS), and reloading sends its form again.
    with pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"):
        page.go_back()
    reload_error_page(page)
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


# -- Content-Security-Policy: every page works under it, and breaks none of its rules ------------

CSP_WATCH = """window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => window.__cspViolations.push(
  `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`));"""


def watch_csp(page) -> list:
    """What Chromium says about the policy on `page` (its console lines); each document's own
    `securitypolicyviolation` events are read by `visit_under_csp`."""
    page.add_init_script(CSP_WATCH)
    said = []
    page.on("console", lambda message: said.append(message.text) if "Content Security Policy" in message.text else None)
    return said


def policy_of(response) -> dict:
    header = response.headers.get("content-security-policy", "")
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def assert_strict_policy(response) -> None:
    policy = policy_of(response)
    assert policy, f"no Content-Security-Policy on {response.url}"
    assert policy["script-src"] == ["'self'"], policy  # never 'unsafe-inline' or 'unsafe-eval'
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"], policy
    assert "'unsafe-inline'" not in policy.get("style-src", []), policy


def visit_under_csp(page, path, said: list, ready: str | None = None):
    """Open `path`; assert the policy is strict and the page broke none of its rules."""
    response = page.goto(path)
    assert response is not None and response.status < 400, (path, response and response.status)
    assert_strict_policy(response)
    page.wait_for_load_state("networkidle")
    if ready:
        expect(page.locator(ready).first).to_be_visible()
    assert_no_violations(page, said, path)
    return response


def assert_no_violations(page, said, where) -> None:
    assert page.evaluate("window.__cspViolations") == [], where
    assert said == [], where


def test_every_page_works_under_the_content_security_policy(browser, web_wallet):
    """Item A: the people's pages, Swagger UI and the browsable API, each under a strict policy
    (scripts and styles from this site's files only, never framed), with no violation."""
    other = web_wallet.signup("Policy")
    context = browser.new_context(base_url=web_wallet.base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems, said = watch_console(page), watch_csp(page)

    visit_under_csp(page, "/signin", said, ready="form")
    visit_under_csp(page, "/signup", said, ready="form")
    visit_under_csp(page, "/api-auth/login/", said, ready="#id_username")
    sign_up_in_browser(page, "Strict")
    assert_no_violations(page, said, "signing up")
    visit_under_csp(page, "/dashboard", said, ready="#balance")
    # The dashboard's live search (a script file) still works.
    page.get_by_label("Search people by name").fill("Policy")
    expect(page.locator("#people li", has_text="Policy Live")).to_be_visible()
    visit_under_csp(page, f"/send?id={other['userId']}", said, ready="#send-form")
    page.get_by_label("Amount (₹)").fill("0.10")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#confirm-text")).to_be_visible()
    assert_no_violations(page, said, "the confirmation")
    page.get_by_role("button", name="Confirm and send").click()
    page.wait_for_url("**/dashboard")
    visit_under_csp(page, "/requests", said, ready="#incoming")
    visit_under_csp(page, f"/requests?id={other['userId']}", said, ready="#ask-form")
    visit_under_csp(page, "/receive", said, ready="#qr svg")
    page.get_by_role("button", name="Copy link").click()  # its script is a file now
    expect(page.locator("#copied")).not_to_be_empty()
    visit_under_csp(page, "/history", said, ready="#history")
    visit_under_csp(page, "/profile", said, ready="#sign-out-everywhere")
    visit_under_csp(page, f"/pay/{other['userId']}", said, ready="#send-form")

    visit_under_csp(page, "/api/docs/", said, ready=".opblock")
    page.locator(".opblock-summary", has_text="/api/v1/user/bulk").first.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".responses-wrapper .live-responses-table")).to_be_visible()
    assert_no_violations(page, said, "Swagger UI, trying an endpoint")
    visit_under_csp(page, "/api/v1/user/bulk", said, ready=".response-info")
    visit_under_csp(page, "/api/v1/account/balance", said, ready=".response-info")
    page.get_by_role("button", name="Log out").click()  # a form's button, not an inline handler
    page.wait_for_load_state("networkidle")
    assert_no_violations(page, said, "signing out of the browsable API")
    assert page.goto("/dashboard").url.endswith("/signin?next=/dashboard")
    context.close()
    assert problems == []


# -- Cache-Control: no-store: Back after signing out shows nothing kept ---------------------------


def test_back_after_signing_out_asks_the_server_and_shows_no_balance(browser, web_wallet):
    """Item B: with the back/forward cache on (Playwright turns it off by default), Back after
    signing out must not show the history from a cache: the page is asked for again, and the
    server sends the browser to sign in."""
    email = f"back-{uuid.uuid4().hex[:8]}@example.com"
    person = {"username": email, "firstName": "Back", "lastName": "Button", "password": PASSWORD}
    with web_wallet.client() as client:
        client.post("/api/v1/user/signup", json=person).raise_for_status()
    with_bfcache = browser.browser_type.launch(
        executable_path=shutil.which("chromium") or shutil.which("chromium-browser"),
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    try:
        context = with_bfcache.new_context(base_url=web_wallet.base_url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/signin")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/dashboard")
        balance = page.locator("#balance").inner_text()
        page.goto("/history")
        expect(page.locator("#closing")).to_have_text(balance)
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/signin")

        page.go_back(wait_until="commit")  # a page restored from the back/forward cache fires no "load"

        expect(page).to_have_url(re.compile(r"/signin\?next=/history$"))
        expect(page.locator("#closing")).to_have_count(0)
        expect(page.get_by_text(balance)).to_have_count(0)
        page.go_back(wait_until="commit")  # a page restored from the back/forward cache fires no "load"
        expect(page).to_have_url(re.compile(r"/signin\?next=/dashboard$"))
        expect(page.locator("#balance")).to_have_count(0)
        context.close()
    finally:
        with_bfcache.close()
