"""Operators' roles, as Django groups, made by data migrations.

Every role can see the console (people, wallets, transfers, entries, money requests,
adjustments, the audit log, ledger checks); each adds its own actions. Superusers have every
permission. Idempotency records are the API's memory of retried requests, not something an
operator reads: no role sees them (accounts 0008, mongo 0011), and the console shows them to
nobody.
Deactivating people (`users.deactivate_user`) belongs to no role: only superusers do it.

Each roles migration holds a literal copy of `ROLES` as it was when written and makes the
groups with core.groups.roles_migration (a migration must not change when this file does); a
test checks that the latest one matches `ROLES`."""

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
