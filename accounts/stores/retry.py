"""The one retry policy for units of work on every database: a bounded number of attempts,
with exponential backoff and full jitter between them, so that clients colliding on one
account spread out instead of colliding again in step."""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from accounts.stores.errors import DatabaseBusy

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    base_delay: float = 0.005  # seconds; doubled after each attempt
    max_delay: float = 0.25

    def delay(self, attempt: int) -> float:
        """A random pause in [0, min(max_delay, base_delay * 2**attempt)]: full jitter."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))

    def run(self, attempt: Callable[[], T], *, retryable: Callable[[BaseException], bool]) -> T:
        """`attempt()` until it returns; an error `retryable` accepts runs it again, up to
        `attempts` times, and then answers DatabaseBusy (an outage: retry later)."""
        for number in range(1, self.attempts + 1):
            try:
                return attempt()
            except Exception as error:
                if not retryable(error):
                    raise
                logger.info("unit of work retried after attempt %d: %s", number, type(error).__name__)
                last = error
            if number < self.attempts:
                time.sleep(self.delay(number))
        raise DatabaseBusy() from last


UNIT_OF_WORK_RETRIES = RetryPolicy()
