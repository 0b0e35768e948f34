"""The one retry policy (accounts/stores/retry.py): bounded, exponential, with full jitter."""

import pytest

from accounts.stores.errors import DatabaseBusy
from accounts.stores.retry import RetryPolicy


class TestRetryPolicy:
    def test_a_retryable_failure_runs_the_attempt_again(self, monkeypatch):
        monkeypatch.setattr("accounts.stores.retry.time.sleep", lambda seconds: None)
        outcomes = iter([ValueError("transient"), ValueError("transient"), "done"])

        def attempt():
            outcome = next(outcomes)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        assert RetryPolicy(attempts=3).run(attempt, retryable=lambda e: isinstance(e, ValueError)) == "done"

    def test_attempts_are_bounded_and_then_busy(self, monkeypatch):
        pauses = []
        monkeypatch.setattr("accounts.stores.retry.time.sleep", pauses.append)
        calls = []

        def attempt():
            calls.append(1)
            raise ValueError("always")

        with pytest.raises(DatabaseBusy):
            RetryPolicy(attempts=4).run(attempt, retryable=lambda e: True)
        assert len(calls) == 4 and len(pauses) == 3

    def test_other_errors_are_not_retried(self):
        calls = []

        def attempt():
            calls.append(1)
            raise KeyError("a bug")

        with pytest.raises(KeyError):
            RetryPolicy().run(attempt, retryable=lambda e: isinstance(e, ValueError))
        assert calls == [1]

    def test_pauses_grow_exponentially_with_full_jitter(self):
        policy = RetryPolicy(base_delay=0.01, max_delay=0.1)
        for attempt in range(1, 8):
            ceiling = min(0.1, 0.01 * 2**attempt)
            pauses = [policy.delay(attempt) for _ in range(200)]
            assert all(0 <= pause <= ceiling for pause in pauses)
            assert max(pauses) > ceiling / 2 and min(pauses) < ceiling / 2  # spread, not fixed
