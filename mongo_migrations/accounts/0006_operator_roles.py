"""Operators' roles (console/roles.py), as they were first made."""

from django.db import migrations

from core.groups import roles_migration

VIEW = [
    ("users", "view_user"),
    ("accounts", "view_account"),
    ("accounts", "view_transfer"),
    ("accounts", "view_ledgerentry"),
    ("accounts", "view_idempotencyrecord"),
    ("accounts", "view_adjustmentproposal"),
    ("accounts", "view_auditentry"),
    ("accounts", "view_ledgercheck"),
]
ROLES = {
    "Support": [*VIEW, ("accounts", "freeze_account")],
    "Finance": [*VIEW, ("accounts", "reverse_transfer"), ("accounts", "propose_adjustment")],
    "Approver": [*VIEW, ("accounts", "approve_adjustment")],
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_operators_console"),
        ("users", "0002_operators_console"),
        ("auth", "0001_initial"),
        ("contenttypes", "0001_initial"),
    ]

    operations = [migrations.RunPython(*roles_migration(ROLES))]
