"""The admin as the payments team's console: "Wallet operations".

The index is the overview (money in wallets and issued, payments today and over 7 days, a
30-day chart, the latest ledger check with a button to run it now) above the usual list of
sections; one search box finds a person by email, name or `_id`, a transfer or an
adjustment by its id. The operators' actions live on the pages of what they act on
(console/admin/). Loaded when the admin app is ready, after every model."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from accounts.models import AdjustmentProposal, Transfer
from accounts.money import format_inr
from accounts.operations import ledger_check_run
from accounts.selectors import operations_overview
from console.charts import daily_volume_svg
from core.ids import parse_public_id
from users.models import User

SITE_NAME = "Wallet operations"


class OperationsSite(admin.AdminSite):
    site_header = SITE_NAME
    site_title = SITE_NAME
    index_title = "Overview"
    index_template = "admin/operations/index.html"
    enable_nav_sidebar = False  # the lists need the width; the overview and breadcrumbs lead everywhere

    def get_urls(self):
        return [
            path("find/", self.admin_view(self.find), name="find"),
            path("ledger-check/", self.admin_view(require_POST(self.run_ledger_check)), name="ledger_check"),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        overview = operations_overview()
        extra_context = {
            "overview": overview,
            "chart": daily_volume_svg(overview.daily),
            "can_run_check": request.user.has_perm("accounts.view_ledgercheck"),
            **(extra_context or {}),
        }
        return super().index(request, extra_context)

    def find(self, request):
        """One box for everything: an id opens what it names; anything else searches people."""
        query = request.GET.get("q", "").strip()
        public_id = parse_public_id(query)
        if public_id is not None:
            for model in (User, Transfer, AdjustmentProposal):
                found = model.objects.filter(public_id=public_id).values_list("pk", flat=True).first()
                if found is not None and self._registry[model].has_view_permission(request):
                    opts = model._meta
                    return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[found]))
            messages.warning(request, f"Nothing has the id {public_id}.")
            return redirect("admin:index")
        return redirect(f"{reverse('admin:users_user_changelist')}?{urlencode({'q': query})}")

    def run_ledger_check(self, request):
        if not request.user.has_perm("accounts.view_ledgercheck"):
            raise PermissionDenied
        report, _ = ledger_check_run(ran_by=request.user.email)
        if report.ok:
            messages.success(
                request,
                f"Ledger OK: every invariant holds ({report.accounts} accounts, {report.transfers} transfers, "
                f"sum of balances {format_inr(report.total_balance)}).",
            )
        else:
            messages.error(request, f"Ledger BREACHED: {len(report.breaches)} invariant(s) fail. See below.")
        return redirect("admin:index")
