"""The one reader of the environment (paytm_site/env.py)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from paytm_site.env import env_float


def test_env_float_takes_fractions_and_refuses_junk(monkeypatch):
    name = "SOME_SECONDS"  # made up: a variable the code never reads
    monkeypatch.setenv(name, "0.5")
    assert env_float(name, 5.0) == 0.5
    monkeypatch.setenv(name, " ")
    assert env_float(name, 5.0) == 5.0
    for junk in ("soon", "nan"):
        monkeypatch.setenv(name, junk)
        with pytest.raises(ImproperlyConfigured, match="SOME_SECONDS must be a number"):
            env_float(name, 5.0)
