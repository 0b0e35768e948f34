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
