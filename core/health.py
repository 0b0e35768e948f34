"""Whether this server can serve the wallet (`/healthz`, core/views.py).

What "healthy" means is asked of the checks the apps register at start-up (accounts registers
its database's: accounts/apps.py), so this module knows no database. What went wrong goes to
the log; a client only sees a plain status."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from core.errors import is_database_unreachable

logger = logging.getLogger(__name__)

OK, DEGRADED, UNAVAILABLE = "ok", "degraded", "unavailable"


@dataclass(frozen=True)
class Health:
    """`status` is OK, DEGRADED (up, but cannot do everything) or UNAVAILABLE; `database`
    is what a client may see of the database (never a driver's message)."""

    status: str
    database: dict = field(default_factory=dict)

    @property
    def serving(self) -> bool:
        return self.status == OK


HealthCheck = Callable[[], Health]
_checks: list[HealthCheck] = []


def register(check: HealthCheck) -> None:
    if check not in _checks:
        _checks.append(check)


def current_health() -> Health:
    """The first check that is not OK decides; an outage while checking is UNAVAILABLE."""
    health = Health(OK)
    for check in _checks:
        try:
            health = check()
        except Exception as error:
            if not is_database_unreachable(error):
                raise
            logger.warning("health check: database unreachable: %s", error)
            return Health(UNAVAILABLE, {"status": "down"})
        if not health.serving:
            return health
    return health
