from django.contrib.admin.apps import AdminConfig


class OperationsAdminConfig(AdminConfig):
    """The Django admin, as the payments team's "Wallet operations" console."""

    default_site = "paytm_site.admin_site.OperationsSite"
