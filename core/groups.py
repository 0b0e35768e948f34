"""Groups that hold exactly a set of permissions, made by data migrations (the operators' roles
are such groups: console/roles.py). Migrations call this with a literal copy of the roles as
they were when written, so a migration never changes when the current roles do."""


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
