from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps

from core.mongodb_apps import OBJECT_ID_AUTO_FIELD


class ConsoleConfig(AppConfig):
    """The operators' console, "Wallet operations": its admin pages, templates and static
    files. Listed before the admin, so its templates override the admin's."""

    default = True  # the app's own config; the admin's are named in INSTALLED_APPS
    name = "console"
    verbose_name = "Wallet operations"


class OperationsAdminConfig(admin_apps.AdminConfig):
    """The Django admin, as the payments team's console."""

    default = False
    default_site = "console.site.OperationsSite"


class MongoOperationsAdminConfig(OperationsAdminConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD
