"""What every part started by the tests shares: finding its binary (a loud failure in CI
when it is missing), free ports, private folders, running as the `postgres` user when the
tests run as root, and a process that is always stopped, its whole group, at the end."""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

POSTGRES_BINARIES = "/usr/lib/postgresql/*/bin"


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def missing(what: str) -> None:
    """Fail in CI (the part must be installed there), skip elsewhere."""
    if in_ci():
        pytest.fail(f"{what}: CI must run this test, not skip it (see scripts/install-test-tools)")
    pytest.skip(what)


def require_binary(name: str, package: str) -> str:
    """The path of `name` (on PATH, or among PostgreSQL's server binaries)."""
    found = shutil.which(name)
    if found is None:
        candidates = sorted(glob.glob(f"{POSTGRES_BINARIES}/{name}"))
        found = candidates[-1] if candidates else None
    if found is None:
        missing(f"{name} not found (Debian package {package})")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def private_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder the `postgres` user may use too, removed at the end."""
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(root, 0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def postgres_owned(path: Path, mode: int = 0o700) -> Path:
    path.mkdir(mode=mode, parents=True, exist_ok=True)
    os.chmod(path, mode)
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    return path


def wait_for(condition: Callable[[], object], what: str, timeout: float = 60, interval: float = 0.1):
    """Poll `condition()` until it returns something truthy (and return it); fail saying `what`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except Exception:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"never happened within {timeout:.0f} s: {what}")
        time.sleep(interval)


class ManagedProcess:
    """A process in its own process group, its output in `log`; `stop()` ends the group
    (TERM, then KILL), `kill()` is kill -9 of the whole group at once."""

    def __init__(self, command: list[str], *, log: Path, env: dict | None = None, cwd: Path | None = None):
        self.command, self.log = command, log
        with open(log, "ab") as output:
            self.popen = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def kill(self) -> None:
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=15)

    def stop(self, timeout: float = 15) -> None:
        if self.running():
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        self.kill()  # whatever is left of the group

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
