"""People in the console: found by email, name or `_id` (an exact email or `_id` opens their
page); one page each with their profile, wallet status, balance, full statement with running
balance, adjustments and what operators did about them, and the actions an operator may take
(each needs a reason and is audited).

People are never deleted (their ledger refers to them) and a wallet holder's profile is not
edited here. The list shows wallet holders unless asked for operators. People get wallets by
signing up; the console adds operators only: staff without a wallet, with at least one role
(or superuser), added and given roles by superusers on a short form (names, roles), never the
admin's form of every field and permission."""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import AdjustmentProposal, AuditEntry, LedgerEntry
from accounts.money import parse_rupees
from accounts.money_requests import requests_pending_of
from accounts.operations import CAN_DECIDE, CAN_FREEZE, CAN_PROPOSE, adjustment_propose, wallet_set_frozen
from console.actions import set_frozen_with_reason
from console.admin.common import ConsoleAdmin, titled
from console.display import audit_targets, inr
from console.pages import console_page, exact_id_search, exact_match, object_or_404
from console.roles import ROLES
from console.wording import MESSAGE_CHOOSE_DIRECTION, console_message
from core.page_actions import run_action
from core.replicas import read_alias
from users.models import User
from users.operations import CAN_DEACTIVATE, person_set_active

STATEMENT_PAGE = 25


MESSAGE_ROLE_NEEDED = "Give the operator at least one role, or make them a superuser."
OPERATOR_LABELS = {"groups": "Roles", "is_superuser": "Superuser"}
OPERATOR_HELP = {
    "groups": (
        "Every role sees the whole console. Support also freezes and unfreezes wallets; Finance reverses "
        "transfers and proposes adjustments; Approver approves or rejects other operators' adjustments."
    ),
    "is_superuser": "Every permission: deactivating people and adding operators included.",
}


def role_groups():
    return Group.objects.filter(name__in=list(ROLES)).order_by("name")


class OperatorCreationForm(UserCreationForm):
    """A new operator: staff, without a wallet, with at least one role or superuser."""

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "groups", "is_superuser")
        labels, help_texts = OPERATOR_LABELS, OPERATOR_HELP

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = role_groups()

    def clean(self):
        data = super().clean()
        if not data.get("groups") and not data.get("is_superuser"):
            raise forms.ValidationError(MESSAGE_ROLE_NEEDED, code="role_needed")
        return data

    def save(self, commit=True):
        self.instance.is_staff = True  # an operator, whatever was posted
        return super().save(commit)


class OperatorChangeForm(UserChangeForm):
    """An operator's names and roles (the fields an operator's page shows; the rest is read-only)."""

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "groups", "is_superuser")
        labels, help_texts = OPERATOR_LABELS, OPERATOR_HELP

    def clean(self):
        data = super().clean()
        if "groups" in self.fields and not data.get("groups") and not data.get("is_superuser"):
            raise forms.ValidationError(MESSAGE_ROLE_NEEDED, code="role_needed")
        return data


class WhoFilter(admin.SimpleListFilter):
    """Wallet holders (the default) or operators (accounts without a wallet), never mixed."""

    title = "who"
    parameter_name = "who"
    HOLDERS, OPERATORS = "holders", "operators"

    def lookups(self, request, model_admin):
        return [(self.HOLDERS, "Wallet holders"), (self.OPERATORS, "Operators")]

    def value(self):
        return super().value() if super().value() == self.OPERATORS else self.HOLDERS

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        return queryset.filter(account__isnull=self.value() == self.OPERATORS)


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("frozen", "Wallet frozen"), ("deactivated", "Deactivated")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(is_active=True).exclude(account__frozen=True)
        if self.value() == "frozen":
            return queryset.filter(account__frozen=True)
        if self.value() == "deactivated":
            return queryset.filter(is_active=False)
        return queryset


def wallet_status(person: User) -> str:
    if not person.is_active:
        return "deactivated"
    wallet = getattr(person, "account", None)
    if wallet is None:
        return "operator" if person.is_staff else "no wallet"
    return "frozen" if wallet.frozen else "active"


@admin.register(User)
class UserAdmin(ConsoleAdmin, DjangoUserAdmin):
    form = OperatorChangeForm
    add_form = OperatorCreationForm
    add_form_template = "admin/users/user/add_form.html"
    change_form_template = "admin/users/user/operator.html"
    ordering = ("-date_joined",)
    list_display = ("name", "email", "status", "balance", "date_joined")
    list_display_links = ("name",)
    list_filter = (WhoFilter, StatusFilter, ("date_joined", titled("date joined")))
    search_fields = ("email", "first_name", "last_name")
    list_select_related = ("account",)
    readonly_fields = ("public_id", "status", "date_joined", "last_login")
    filter_horizontal = ()
    actions = ["freeze_wallets", "unfreeze_wallets"]
    fieldsets = (
        (None, {"fields": ("public_id", "email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        ("Roles", {"fields": ("groups", "is_superuser")}),
        ("Access", {"fields": ("status", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("email", "first_name", "last_name", "password1", "password2")}),
        ("Roles", {"fields": ("groups", "is_superuser")}),
    )

    # -- the list ----------------------------------------------------------------------------

    def list_title(self, request) -> str:
        return "Operators" if request.GET.get(WhoFilter.parameter_name) == WhoFilter.OPERATORS else "People"

    def get_list_display(self, request):
        if request.GET.get(WhoFilter.parameter_name) == WhoFilter.OPERATORS:
            return ("name", "email", "roles", "status", "last_login")
        return self.list_display

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def changelist_view(self, request, extra_context=None):
        """An exact email or `_id` in the search box opens that person's page."""
        if request.method == "GET" and self.has_view_permission(request):
            found = exact_match(request.GET.get("q", "").strip())
            if found is not None:
                return redirect("admin:users_user_change", found)
        return super().changelist_view(request, extra_context)

    @admin.display(description="Roles")
    def roles(self, person):
        names = [group.name for group in person.groups.all()]
        return ", ".join(["superuser", *names] if person.is_superuser else names) or "—"

    @admin.display(description="Name", ordering="first_name")
    def name(self, person):
        return person.full_name

    @admin.display(description="Status")
    def status(self, person):
        return wallet_status(person)

    @admin.display(description="Balance", ordering="account__balance")
    def balance(self, person):
        wallet = getattr(person, "account", None)
        return "—" if wallet is None else inr(wallet.balance)

    def get_search_results(self, request, queryset, search_term):
        """An `_id` finds its person exactly."""
        found = exact_id_search(queryset, search_term)
        if found is not None:
            return found, False
        return super().get_search_results(request, queryset, search_term)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return request.user.is_superuser  # operators only: people sign up

    def get_readonly_fields(self, request, obj=None):
        """A wallet holder's profile is theirs: nobody edits it here. An operator's names and
        roles are changed by superusers only; `is_active` changes only through the audited
        deactivate and reactivate actions."""
        if obj is None:
            return ()
        if not request.user.is_superuser or hasattr(obj, "account"):
            return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]
        return self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        """Only a superuser, who may set an operator's password, sees the password field: read
        only, the admin would print the password's hash."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [field for field in options["fields"] if field != "password"]})
            for name, options in fieldsets
        ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":  # the roles, as checkboxes
            kwargs.update(queryset=role_groups(), widget=forms.CheckboxSelectMultiple)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def object_label(self, person):
        return person.full_name

    def add_view(self, request, form_url="", extra_context=None):
        context = {
            "title": "Add operator",
            **self._operators_list(),
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().add_view(request, form_url, {**context, **(extra_context or {})})

    def _operators_list(self) -> dict:
        """Where an operator's pages lead back to (breadcrumbs): the list of operators."""
        url = f"{reverse('admin:users_user_changelist')}?{WhoFilter.parameter_name}={WhoFilter.OPERATORS}"
        return {"list_url": url, "list_name": "Operators"}

    def response_add(self, request, obj, post_url_continue=None):
        """The new operator's page, which says what they may do (not a form of every field)."""
        roles = ", ".join(obj.groups.values_list("name", flat=True))
        what = "a superuser" if obj.is_superuser else f"an operator with the role(s) {roles}"
        messages.success(request, f"{obj.full_name} ({obj.email}) is now {what}. They sign in to this console.")
        return redirect("admin:users_user_change", obj.pk)

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
            return self.operator_view(request, object_id, form_url, extra_context)
        wallet = person.account
        statement = Paginator(  # a statement: read from a replica when one is healthy
            LedgerEntry.objects.using(read_alias())
            .filter(account=wallet)
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

    def operator_view(self, request, object_id, form_url="", extra_context=None):
        """An operator's page: the admin's form, of their names and roles only, and what they did."""
        operator = self.get_object(request, object_id)
        context = {}
        if operator is not None and not hasattr(operator, "account"):
            did = list(AuditEntry.objects.filter(actor=operator).order_by("-created_at")[:20])
            targets = audit_targets(did)
            context = {
                "title": "Operator",
                **self._operators_list(),
                "show_save_and_add_another": False,
                "operator": operator,
                "operator_actions": [(entry, targets[entry.pk]) for entry in did],
                "can_deactivate": request.user.has_perm(CAN_DEACTIVATE) and request.user.pk != operator.pk,
            }
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

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
        direction = request.POST.get("direction", "")
        if direction not in AdjustmentProposal.Direction.values:
            # The form's own choice, checked before its amount: an unknown direction is not
            # a wrong amount (the service checks both again).
            messages.error(request, MESSAGE_CHOOSE_DIRECTION)
            return redirect(self._back(person))

        def propose():
            adjustment_propose(
                operator=request.user,
                person=person,
                direction=direction,
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
