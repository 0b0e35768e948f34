"""No role sees idempotency records: they are the API's memory of retried requests, not
something an operator reads (console/roles.py)."""

from django.db import migrations

from core.groups import roles_migration

VIEW = [
    ("users", "view_user"),
    ("accounts", "view_account"),
    ("accounts", "view_transfer"),
    ("accounts", "view_ledgerentry"),
    ("accounts", "view_adjustmentproposal"),
    ("accounts", "view_auditentry"),
    ("accounts", "view_ledgercheck"),
    ("accounts", "view_moneyrequest"),
]
ROLES = {
    "Support": [*VIEW, ("accounts", "freeze_account")],
    "Finance": [*VIEW, ("accounts", "reverse_transfer"), ("accounts", "propose_adjustment")],
    "Approver": [*VIEW, ("accounts", "approve_adjustment")],
}


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_collection_validators_and_token_revocations")]

    operations = [migrations.RunPython(*roles_migration(ROLES))]
