"""Driving Debian's Chromium with Playwright (it cannot download its own browser here)."""

import os
import shutil
import uuid
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")
PASSWORD = "correct horse battery"


def launch_chromium(playwright):
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: in CI the browser tests must run.")
        pytest.skip(message)
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


def watch_console(page) -> list:
    """Every console error and uncaught page error of `page`, except a page itself answering
    4xx on purpose (a refused form): a missing icon, style or script, or a script error,
    is a problem."""
    problems = []

    def on_console(message):
        url = message.location.get("url", "")
        own_document = "status of 4" in message.text and "/static/" not in url and "favicon" not in url
        if message.type == "error" and not own_document:
            problems.append(f"{message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def screenshot(page, name):
    """Saved into SCREENSHOT_DIR when it is set (`make screenshots`)."""
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), full_page=True)


def sign_up_in_browser(page, first_name, last_name="Page") -> str:
    """Sign a new person up through the page; return their email."""
    email = f"{first_name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    page.goto("/signup")
    page.get_by_label("First name").fill(first_name)
    page.get_by_label("Last name").fill(last_name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/dashboard")
    return email
