"""What operators can do to people, from the "Wallet operations" console: deactivate and
reactivate them. Like the operators' actions on money (accounts/operations.py, whose
permission check, reason rule and audit entry these share), each needs a reason and writes
its AuditEntry in the same unit of work."""

from accounts.exceptions import OperationForbidden
from accounts.models import AuditEntry
from accounts.operations import audit, clean_reason, require
from accounts.stores import ledger_store
from users.exceptions import PersonStateUnchanged
from users.models import User

CAN_DEACTIVATE = "users.deactivate_user"


def person_set_active(*, operator, person, active: bool, reason: str) -> None:
    """Deactivate (or reactivate) a person: deactivated, their tokens and sign-in stop working
    and they leave search. People are never deleted: the ledger refers to them."""
    require(operator, CAN_DEACTIVATE)
    reason = clean_reason(reason)
    if person.pk == operator.pk:
        raise OperationForbidden("You cannot deactivate or reactivate yourself")

    def work(unit):
        stored = unit.lock_row(User, person.pk)
        if stored.is_active == active:
            raise PersonStateUnchanged(
                "This person is already active" if active else "This person is already deactivated"
            )
        stored.is_active = active
        unit.update_fields(stored, ["is_active"])
        audit(
            unit,
            operator=operator,
            action=AuditEntry.Action.REACTIVATE if active else AuditEntry.Action.DEACTIVATE,
            target_type="person",
            target_id=person.public_id,
            reason=reason,
            before={"is_active": not active},
            after={"is_active": active},
        )

    ledger_store().run(work)
