"""Helpers shared by tests: PostgreSQL discovery, and what a page flashed."""

import os
import re

import psycopg

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"


def postgres_url_from_env() -> str | None:
    """The PostgreSQL the in-process suite runs on, if DATABASE_URL names one."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def postgres_server_url() -> str:
    """The PostgreSQL server live-server tests create their own databases on."""
    return os.environ.get("TEST_POSTGRES_URL") or postgres_url_from_env() or DEFAULT_POSTGRES_URL


def postgres_reachable(url: str) -> bool:
    try:
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def flash(response) -> list[str]:
    """The messages a page shows once (Django's messages framework), as a person reads them."""
    return re.findall(r'<li class="(?:success|error|warning|info)">([^<]+)</li>', response.content.decode())
