"""The one reader of the environment: every setting comes through here.

Each reader takes the variable's name and a default that is safe for local use.
Secrets have no default in the repository: `local_secret` makes a random one per
install and keeps it in an ignored file so restarts and several workers agree.
"""

import json
import math
import os
import secrets
import time
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    """A number of seconds, hours…: fractions allowed ("0.5"); not NaN."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if math.isnan(value):
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def local_secret(name: str, secrets_file: Path) -> str:
    """The variable if set; otherwise a random per-install value kept in `secrets_file`.

    The file is created with O_EXCL so that several workers starting at once agree
    on one value instead of each writing its own.
    """
    value = os.environ.get(name)
    if value:
        return value
    secrets_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(secrets_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        fresh = {key: secrets.token_urlsafe(50) for key in ("SECRET_KEY", "JWT_SECRET")}
        with os.fdopen(fd, "w") as handle:
            json.dump(fresh, handle)
    for _ in range(50):  # another worker may be between creating and writing the file
        try:
            stored = json.loads(secrets_file.read_text() or "{}")
        except json.JSONDecodeError:
            stored = {}
        if name in stored:
            return stored[name]
        time.sleep(0.02)
    raise ImproperlyConfigured(f"{secrets_file} has no {name}; delete it or set {name}")
