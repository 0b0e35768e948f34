"""The models and both sets of migrations agree: SQL (accounts/migrations, users/migrations)
and MongoDB (mongo_migrations/, made by scripts/mongo_makemigrations.py)."""

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def test_no_model_change_lacks_a_sql_migration():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite:///:memory:"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_model_change_lacks_a_mongodb_migration():
    result = subprocess.run(
        [sys.executable, "scripts/mongo_makemigrations.py", "--check", "--dry-run"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def latest_migration_with(package: str, attribute: str):
    import importlib
    import pkgutil

    module = importlib.import_module(package)
    names = sorted(
        name
        for _, name, _ in pkgutil.iter_modules(module.__path__)
        if hasattr(importlib.import_module(f"{package}.{name}"), attribute)
    )
    return importlib.import_module(f"{package}.{names[-1]}")


def test_the_latest_roles_migrations_make_exactly_the_roles_of_accounts_roles():
    from console.roles import ROLES

    for package in ("accounts.migrations", "mongo_migrations.accounts"):
        assert latest_migration_with(package, "ROLES").ROLES == ROLES, package
