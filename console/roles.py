"""Operators' roles, as Django groups, made by data migrations.

Every role can see the console (people, wallets, transfers, entries, money requests,
adjustments, the audit log); each adds its own actions. Superusers have every permission.
Deactivating people (`users.deactivate_user`) belongs to no role: only superusers do it.

Each roles migration holds a literal copy of `ROLES` as it was when written (a migration must
not change when this file does); a test checks that the latest one matches `ROLES`."""

VIEW = [
    ("users", "view_user"),
    ("accounts", "view_account"),
    ("accounts", "view_transfer"),
    ("accounts", "view_ledgerentry"),
    ("accounts", "view_idempotencyrecord"),
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


def roles_migration(roles: dict):
    """The forwards and backwards functions of a migration that makes the groups `roles`
    hold exactly these permissions."""

    def forwards(apps, schema_editor):
        from django.contrib.auth.management import create_permissions

        # Permissions are normally made after migrations run; make them now to assign them.
        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        for name, codenames in roles.items():
            group, _ = Group.objects.get_or_create(name=name)
            group.permissions.set(
                [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in codenames]
            )

    def backwards(apps, schema_editor):
        apps.get_model("auth", "Group").objects.filter(name__in=list(roles)).delete()

    return forwards, backwards
