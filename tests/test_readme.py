"""The README stays true about configuration: every environment variable the code reads is
in one of its tables."""

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
READS = re.compile(
    r"""(?:env_(?:str|int|bool|list|float)|local_secret)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|os\.environ(?:\.get)?[\[(]\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|os\.getenv\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)
SOURCES = ["accounts", "console", "core", "users", "web", "paytm_site", "bench", "scripts", "tests", "manage.py"]


def variables_read() -> set[str]:
    found = set()
    for source in SOURCES:
        paths = [PROJECT / source] if source.endswith(".py") else (PROJECT / source).rglob("*.py")
        for path in paths:
            for match in READS.finditer(path.read_text()):
                found.add(next(group for group in match.groups() if group))
    return found


def variables_in_readme_tables() -> set[str]:
    rows = [line for line in (PROJECT / "README.md").read_text().splitlines() if line.startswith("|")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_the_scan_finds_what_it_should():
    assert {"DATABASE_URL", "GUNICORN_TIMEOUT", "BENCH_USERS", "MONGODB_URI"} <= variables_read()


# The operating system's own, passed on to the processes the tests start: not our configuration.
SYSTEM_VARIABLES = {"PATH"}


def test_every_environment_variable_the_code_reads_is_in_the_readme():
    assert variables_read() - SYSTEM_VARIABLES - variables_in_readme_tables() == set()
