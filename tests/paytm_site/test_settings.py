"""Production settings pass Django's deployment checklist, and the defaults stay local."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        HTTPS="1",
        SECRET_KEY=secrets.token_urlsafe(50),
        JWT_SECRET=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="wallet.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_complains_without_https_settings(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        HTTPS="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode != 0 and "SECURE_HSTS_SECONDS" in result.stdout + result.stderr


@pytest.mark.django_db
def test_production_headers_are_sent(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_SSL_REDIRECT = False
    response = client.get("/healthz", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_secrets_are_not_constants_in_the_repository(settings):
    from pathlib import Path

    source = (Path(settings.BASE_DIR) / "paytm_site" / "settings.py").read_text()
    assert settings.SECRET_KEY not in source and settings.JWT_SECRET not in source
    assert settings.SECRET_KEY != settings.JWT_SECRET


@pytest.mark.django_db
def test_a_web_session_ends_when_idle_and_when_the_browser_closes(client, make_person, settings):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from tests.conftest import PASSWORD

    person = make_person(email="idle@example.com")
    signed_in = client.post("/signin", {"email": person.email, "password": PASSWORD})
    cookie = signed_in.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser session: gone when it closes
    session = Session.objects.get(session_key=cookie.value)
    idle = timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    assert abs(session.expire_date - (timezone.now() + idle)) < timedelta(seconds=30)

    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=1))
    assert client.get("/dashboard").status_code == 200
    moved = Session.objects.get(pk=session.pk).expire_date  # each request moves the end forward
    assert moved > timezone.now() + idle - timedelta(seconds=30)

    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/dashboard").status_code == 302  # idle too long: signed out
