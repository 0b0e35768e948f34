"""People in the console: found by email, name or `_id`; one page each with their profile,
wallet status, balance, full statement with running balance, adjustments and what operators
did about them, and the actions an operator may take (each needs a reason and is audited).

People are never deleted (their ledger refers to them) and a wallet holder's profile is not
edited here. Operators (staff without a wallet) are managed with Django's usual form, by
superusers: that is where roles (groups) are given."""

from functools import partial

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.paginator import Paginator
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import AdjustmentProposal, AuditEntry, LedgerEntry
from accounts.money import format_inr, parse_rupees
from accounts.money_requests import requests_pending_of
from accounts.operations import CAN_DECIDE, CAN_FREEZE, CAN_PROPOSE, adjustment_propose, wallet_set_frozen
from console.actions import set_frozen_with_reason
from console.pages import console_page, exact_id_search, object_or_404
from console.wording import console_message
from core.page_actions import run_action
from users.models import User
from users.operations import CAN_DEACTIVATE, person_set_active

STATEMENT_PAGE = 25


class OperatorUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")


class OperatorUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


def wallet_status(person: User) -> str:
    if not person.is_active:
        return "deactivated"
    wallet = getattr(person, "account", None)
    if wallet is None:
        return "operator" if person.is_staff else "no wallet"
    return "frozen" if wallet.frozen else "active"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = OperatorUserChangeForm
    add_form = OperatorUserCreationForm
    ordering = ("-date_joined",)
    list_display = ("name", "email", "status", "balance", "date_joined")
    list_display_links = ("name",)
    list_filter = ("is_active", "account__frozen", "is_staff", "date_joined")
    search_fields = ("email", "first_name", "last_name")
    list_select_related = ("account",)
    readonly_fields = ("public_id", "date_joined", "last_login")
    actions = ["freeze_wallets", "unfreeze_wallets"]
    fieldsets = (
        (None, {"fields": ("public_id", "email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "first_name", "last_name", "password1", "password2")}),
    )

    # -- the list ----------------------------------------------------------------------------

    @admin.display(description="Name", ordering="first_name")
    def name(self, person):
        return person.full_name

    @admin.display(description="Status")
    def status(self, person):
        return wallet_status(person)

    @admin.display(description="Balance", ordering="account__balance")
    def balance(self, person):
        wallet = getattr(person, "account", None)
        return "—" if wallet is None else format_inr(wallet.balance)

    def get_search_results(self, request, queryset, search_term):
        """An `_id` finds its person exactly."""
        found = exact_id_search(queryset, search_term)
        if found is not None:
            return found, False
        return super().get_search_results(request, queryset, search_term)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        """A wallet holder's profile is theirs: nobody edits it here. `is_active` changes only
        through the audited deactivate and reactivate actions."""
        if obj is None:
            return self.readonly_fields
        if not request.user.is_superuser or hasattr(obj, "account"):
            return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]
        return (*self.readonly_fields, "is_active")

    # -- bulk freezing, with a reason ---------------------------------------------------------

    def has_freeze_permission(self, request):
        return request.user.has_perm(CAN_FREEZE)

    @admin.action(description="Freeze the wallets of the selected people", permissions=["freeze"])
    def freeze_wallets(self, request, queryset):
        return set_frozen_with_reason(self, request, queryset, frozen=True)

    @admin.action(description="Unfreeze the wallets of the selected people", permissions=["freeze"])
    def unfreeze_wallets(self, request, queryset):
        return set_frozen_with_reason(self, request, queryset, frozen=False)

    # -- one person's page ------------------------------------------------------------------------

    def get_urls(self):
        actions = [
            *((name, partial(self.reason_action_view, action=name)) for name in self.REASON_ACTIONS),
            ("propose-adjustment", self.propose_adjustment_view),
        ]
        return [
            *(
                path(
                    f"<path:object_id>/{name}/",
                    self.admin_site.admin_view(require_POST(view)),
                    name=f"users_user_{name}",
                )
                for name, view in actions
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        person = self.get_object(request, object_id) if request.method == "GET" else None
        if person is None or not hasattr(person, "account") or not self.has_view_permission(request, person):
            return super().change_view(request, object_id, form_url, extra_context)
        wallet = person.account
        statement = Paginator(
            LedgerEntry.objects.filter(account=wallet)
            .select_related("transfer__sender__user", "transfer__recipient__user")
            .order_by("-pk"),
            STATEMENT_PAGE,
        ).get_page(request.GET.get("page"))
        proposals = AdjustmentProposal.objects.filter(account=wallet).select_related("proposed_by", "decided_by")
        operator, now = request.user, timezone.now()
        return console_page(
            self,
            request,
            "admin/users/user/person.html",
            {
                "title": person.full_name,
                "person": person,
                "wallet": wallet,
                "status": wallet_status(person),
                "statement": statement,
                "proposals": [(proposal, proposal.is_expired(now)) for proposal in proposals.order_by("-proposed_at")],
                "pending_requests": [
                    (request_, "asked of them" if request_.payer_id == person.pk else "asked by them")
                    for request_ in requests_pending_of(person=person, now=now)
                ],
                "audit": AuditEntry.objects.filter(target_id=str(person.public_id)).select_related("actor")[:20],
                "can_freeze": operator.has_perm(CAN_FREEZE),
                "can_deactivate": operator.has_perm(CAN_DEACTIVATE) and operator.pk != person.pk,
                "can_propose": operator.has_perm(CAN_PROPOSE),
                "can_decide": operator.has_perm(CAN_DECIDE),
                "directions": AdjustmentProposal.Direction.choices,
            },
        )

    def _person(self, request, object_id) -> User:
        return object_or_404(self, request, object_id)

    def _back(self, person) -> str:
        return reverse("admin:users_user_change", args=[person.pk])

    # The actions of a person's page that take only a reason: (service, its keyword, value, done).
    REASON_ACTIONS = {
        "freeze": (wallet_set_frozen, "frozen", True, "The wallet of {name} is frozen."),
        "unfreeze": (wallet_set_frozen, "frozen", False, "The wallet of {name} is no longer frozen."),
        "deactivate": (
            person_set_active,
            "active",
            False,
            "{name} is deactivated: their tokens and sign-in no longer work.",
        ),
        "reactivate": (person_set_active, "active", True, "{name} is active again."),
    }

    def reason_action_view(self, request, object_id, *, action: str):
        service, keyword, value, done = self.REASON_ACTIONS[action]
        person = self._person(request, object_id)
        return run_action(
            request,
            lambda: service(
                operator=request.user, person=person, reason=request.POST.get("reason"), **{keyword: value}
            ),
            done=done.format(name=person.full_name),
            back_to=self._back(person),
            wording=console_message,
        )

    def propose_adjustment_view(self, request, object_id):
        person = self._person(request, object_id)

        def propose():
            adjustment_propose(
                operator=request.user,
                person=person,
                direction=request.POST.get("direction", ""),
                amount=parse_rupees(request.POST.get("amount", "")),
                reason=request.POST.get("reason"),
            )

        return run_action(
            request,
            propose,
            done="Adjustment proposed: another operator with the Approver role must approve it.",
            back_to=self._back(person),
            wording=console_message,
        )
