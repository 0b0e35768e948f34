"""deploy/: the systemd units and timers are valid for systemd itself (`systemd-analyze
verify`), the jobs they run exist, and the configurations the tests start are the shipped ones."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SYSTEMD = PROJECT / "deploy" / "systemd"
JOBS = {"wallet-prune-idempotency.timer", "wallet-flush-tokens.timer", "wallet-verify-ledger.timer"}


def require_systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-analyze not found (Debian package systemd): CI must check deploy/systemd")
        pytest.skip("systemd-analyze not found (Debian package systemd)")
    return found


def installed_copy(tmp_path: Path) -> Path:
    """The units as an operator installs them, with this checkout standing in for /opt/wallet
    (verify checks that every command exists) and the environment file made optional."""
    for unit in SYSTEMD.glob("*.service"):
        text = unit.read_text().replace("/opt/wallet", str(PROJECT))
        text = text.replace("EnvironmentFile=/etc/wallet/wallet.env", "EnvironmentFile=-/etc/wallet/wallet.env")
        (tmp_path / unit.name).write_text(text)
    for timer in SYSTEMD.glob("*.timer"):
        shutil.copy(timer, tmp_path / timer.name)
    return tmp_path


def test_every_unit_and_timer_verifies(tmp_path):
    analyze = require_systemd_analyze()
    units = installed_copy(tmp_path)
    names = ["wallet.service", *sorted(JOBS)]
    names += [re.search(r"^Unit=(.+)$", (units / t).read_text(), re.M).group(1) for t in sorted(JOBS)]
    checked = subprocess.run([analyze, "verify", "--man=no", *names], cwd=units, capture_output=True, text=True)
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr


def test_a_broken_unit_would_be_caught(tmp_path):
    """The check above can fail: a unit naming a command that does not exist does."""
    analyze = require_systemd_analyze()
    units = installed_copy(tmp_path)
    broken = (units / "wallet.service").read_text().replace(".venv/bin/python -m", ".venv/bin/no-such-python -m")
    (units / "wallet.service").write_text(broken)
    checked = subprocess.run(
        [analyze, "verify", "--man=no", "wallet.service"], cwd=units, capture_output=True, text=True
    )
    assert checked.returncode != 0 and "no-such-python" in checked.stderr


@pytest.mark.parametrize("timer", sorted(JOBS))
def test_each_timer_runs_a_command_that_exists(timer):
    command = re.search(r"^Unit=wallet-job@(\w+)\.service$", (SYSTEMD / timer).read_text(), re.M).group(1)
    known = subprocess.run(
        [sys.executable, "manage.py", "help", command], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )
    assert known.returncode == 0, known.stderr


def test_the_tests_start_the_shipped_configurations():
    """tests/live/infra renders these files, so what is tested is what is shipped."""
    infra = PROJECT / "tests" / "live" / "infra"
    for shipped, used_by in [
        ("deploy/pgbouncer/pgbouncer.ini", "pgbouncer.py"),
        ("deploy/prometheus/prometheus.yml", "prometheus.py"),
        ("deploy/patroni/patroni.yml", "patroni.py"),
        ("deploy/haproxy/haproxy.cfg", "haproxy.py"),
    ]:
        assert (PROJECT / shipped).is_file(), shipped
        assert shipped in (infra / used_by).read_text() or Path(shipped).name in (infra / used_by).read_text(), used_by
