"""The admin as the payments team's console: "Wallet operations".

The index is the overview (money in wallets and issued, payments today and over 7 days, a
30-day chart, the latest ledger check with a button to run it now) above the usual list of
sections; one search box finds a person by email, name or `_id`, a transfer or an
adjustment by its id (an exact email or id opens its page). The operators' actions live on
the pages of what they act on (console/admin/). Loaded when the admin app is ready, after
every model.

Not a database browser: SimpleJWT's token tables are not shown (signing out manages them),
nor are groups (the roles are made by migrations, console/roles.py, and given on an
operator's page); an app's index page leads to its list, or to the overview."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models.base import ModelBase
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from accounts.models import AdjustmentProposal, Transfer
from accounts.operations import ledger_check_run
from accounts.selectors import operations_overview
from console.charts import daily_volume_svg
from console.display import audit_targets, inr
from console.pages import exact_person
from core.ids import parse_public_id
from users.models import User

SITE_NAME = "Wallet operations"
NOT_IN_CONSOLE = {"token_blacklist.OutstandingToken", "token_blacklist.BlacklistedToken", "auth.Group"}


class OperationsSite(admin.AdminSite):
    site_header = SITE_NAME
    site_title = SITE_NAME
    index_title = "Overview"
    index_template = "admin/operations/index.html"
    enable_nav_sidebar = False  # the lists need the width; the overview and breadcrumbs lead everywhere

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every app registers its models with the admin; the console keeps what operators use."""
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        shown = [model for model in models if model._meta.label not in NOT_IN_CONSOLE]
        if shown:
            super().register(shown, admin_class, **options)

    def get_urls(self):
        return [
            path("find/", self.admin_view(self.find), name="find"),
            path("ledger-check/", self.admin_view(require_POST(self.run_ledger_check)), name="ledger_check"),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        overview = operations_overview()
        targets = audit_targets(overview.latest_actions)
        extra_context = {
            "overview": overview,
            "latest_actions": [(entry, targets[entry.pk]) for entry in overview.latest_actions],
            "chart": daily_volume_svg(overview.daily),
            "can_run_check": request.user.has_perm("accounts.view_ledgercheck"),
            **(extra_context or {}),
        }
        return super().index(request, extra_context)

    def app_index(self, request, app_label, extra_context=None):
        """An app's page would list a link or two: its only list, else the overview, instead."""
        app = (self._build_app_dict(request, app_label) or {}).get(app_label, {})
        models = [model for model in app.get("models", []) if model.get("admin_url")]
        return redirect(models[0]["admin_url"] if len(models) == 1 else "admin:index")

    def find(self, request):
        """One box for everything: an id opens what it names, so does a person's exact email;
        anything else searches people."""
        query = request.GET.get("q", "").strip()
        person = exact_person(query)
        if person is not None and self._registry[User].has_view_permission(request):
            return redirect(reverse("admin:users_user_change", args=[person]))
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
                f"sum of balances {inr(report.total_balance)}).",
            )
        else:
            messages.error(request, f"Ledger BREACHED: {len(report.breaches)} invariant(s) fail. See below.")
        return redirect("admin:index")
