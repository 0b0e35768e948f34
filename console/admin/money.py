"""Wallets, transfers, adjustments and the audit log in the "Wallet operations" console.

Nothing here edits a balance or a ledger row: every model is read-only in the admin, and
money moves only through the operators' actions (accounts/operations.py), each with a
reason and an audit entry: reverse a transfer (its page), approve or reject an adjustment
(its page; proposals are made from a person's page), freeze a wallet (a person's page or
the wallet list). The audit log is append-only for everyone, superusers included.
Lists put names and amounts first and shorten ids, so they read at 1280 px."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from accounts.models import (
    Account,
    AdjustmentProposal,
    AuditEntry,
    IdempotencyRecord,
    LedgerCheck,
    LedgerEntry,
    Transfer,
)
from accounts.money import format_inr
from accounts.operations import (
    CAN_DECIDE,
    CAN_FREEZE,
    CAN_REVERSE,
    adjustment_approve,
    adjustment_reject,
    transfer_reverse,
)
from console.actions import set_frozen_with_reason
from console.pages import console_page, exact_id_search, object_or_404
from console.wording import console_message
from core.page_actions import run_action
from users.models import User

PERSON_SEARCH = ("user__email", "user__first_name", "user__last_name")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def short_id(public_id) -> str:
    return format_html('<span class="short-id" title="{}">{}</span>', public_id, str(public_id)[:8])


def party(account) -> str:
    """Who holds an account: a person's name (linked to their page) or the system account."""
    if account.user_id is None:
        return account.get_kind_display()
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:users_user_change", args=[account.user_id]), account.user.full_name
    )


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    """The wallet list. A wallet's page is its owner's page."""

    list_display = ("owner", "email", "balance_inr", "state", "kind", "created_at")
    list_filter = ("kind", "frozen", "created_at")
    search_fields = PERSON_SEARCH
    list_select_related = ("user",)
    actions = ["freeze_wallets", "unfreeze_wallets"]

    @admin.display(description="Owner", ordering="user__first_name")
    def owner(self, account):
        return party(account)

    @admin.display(description="Email")
    def email(self, account):
        return account.user.email if account.user_id else "—"

    @admin.display(description="Balance", ordering="balance")
    def balance_inr(self, account):
        return format_inr(account.balance)

    @admin.display(description="State")
    def state(self, account):
        return "frozen" if account.frozen else "—"

    def has_freeze_permission(self, request):
        return request.user.has_perm(CAN_FREEZE)

    @admin.action(description="Freeze the selected wallets", permissions=["freeze"])
    def freeze_wallets(self, request, queryset):
        return set_frozen_with_reason(self, request, self._owners(queryset), frozen=True)

    @admin.action(description="Unfreeze the selected wallets", permissions=["freeze"])
    def unfreeze_wallets(self, request, queryset):
        return set_frozen_with_reason(self, request, self._owners(queryset), frozen=False)

    def _owners(self, queryset):
        return User.objects.filter(account__in=queryset.filter(kind=Account.Kind.USER))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        account = self.get_object(request, object_id) if request.method == "GET" else None
        if account is not None and account.user_id is not None:
            return redirect("admin:users_user_change", account.user_id)
        return super().change_view(request, object_id, form_url, extra_context)


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ("account", "amount", "balance_after", "created_at")
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("from_party", "to_party", "amount_inr", "kind", "note", "created_at", "transfer_id")
    list_display_links = ("created_at",)
    list_filter = ("kind", "created_at")
    date_hierarchy = "created_at"
    search_fields = (
        "=public_id",
        "sender__user__email",
        "recipient__user__email",
        "sender__user__last_name",
        "recipient__user__last_name",
    )
    list_select_related = ("sender__user", "recipient__user")

    @admin.display(description="From")
    def from_party(self, transfer):
        return party(transfer.sender)

    @admin.display(description="To")
    def to_party(self, transfer):
        return party(transfer.recipient)

    @admin.display(description="Amount", ordering="amount")
    def amount_inr(self, transfer):
        return format_inr(transfer.amount)

    @admin.display(description="Id")
    def transfer_id(self, transfer):
        return short_id(transfer.public_id)

    def get_search_results(self, request, queryset, search_term):
        """A transfer's id finds it exactly (a UUID is stored as 32 hex digits on SQLite)."""
        found = exact_id_search(queryset, search_term)
        if found is not None:
            return found, False
        return super().get_search_results(request, queryset, search_term.replace("=", ""))

    def get_urls(self):
        reverse_view = self.admin_site.admin_view(require_POST(self.reverse_view))
        return [path("<path:object_id>/reverse/", reverse_view, name="accounts_transfer_reverse"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        transfer = self.get_object(request, object_id) if request.method == "GET" else None
        if transfer is None or not self.has_view_permission(request, transfer):
            return super().change_view(request, object_id, form_url, extra_context)  # and a POST is refused
        reversal = Transfer.objects.filter(reverses=transfer).first()
        proposal = AdjustmentProposal.objects.filter(transfer=transfer).first()
        return console_page(
            self,
            request,
            "admin/accounts/transfer/detail.html",
            {
                "title": f"{transfer.get_kind_display()} {str(transfer.public_id)[:8]}",
                "transfer": transfer,
                "entries": transfer.entries.select_related("account__user").order_by("amount"),
                "reversal": reversal,
                "proposal": proposal,
                "can_reverse": request.user.has_perm(CAN_REVERSE) and transfer.kind_is_reversible and reversal is None,
            },
        )

    def reverse_view(self, request, object_id):
        transfer = object_or_404(self, request, object_id)
        return run_action(
            request,
            lambda: transfer_reverse(operator=request.user, transfer=transfer, reason=request.POST.get("reason")),
            done=f"Reversed: {format_inr(transfer.amount)} went back from the recipient to the sender.",
            back_to=reverse("admin:accounts_transfer_change", args=[transfer.pk]),
            wording=console_message,
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("holder", "amount_inr", "balance_after_inr", "kind", "created_at", "transfer_id")
    list_display_links = ("created_at",)
    list_filter = ("created_at", "account__kind")
    date_hierarchy = "created_at"
    search_fields = ("account__user__email", "account__user__first_name", "account__user__last_name")
    list_select_related = ("transfer", "account__user")

    @admin.display(description="Account")
    def holder(self, entry):
        return party(entry.account)

    @admin.display(description="Amount", ordering="amount")
    def amount_inr(self, entry):
        return format_inr(entry.amount)

    @admin.display(description="Balance after")
    def balance_after_inr(self, entry):
        return format_inr(entry.balance_after)

    @admin.display(description="Kind")
    def kind(self, entry):
        return entry.transfer.kind

    @admin.display(description="Transfer")
    def transfer_id(self, entry):
        url = reverse("admin:accounts_transfer_change", args=[entry.transfer_id])
        return format_html('<a href="{}">{}</a>', url, short_id(entry.transfer.public_id))


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("user", "key", "error_code", "transfer", "created_at")
    list_display_links = ("key",)
    search_fields = ("user__email", "key")
    list_select_related = ("user", "transfer")


class ProposalStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status__exact"

    def lookups(self, request, model_admin):
        return [*AdjustmentProposal.Status.choices, ("expired", "Expired (not approvable)")]

    def queryset(self, request, queryset):
        if self.value() == "expired":
            return queryset.expired(timezone.now())
        if self.value() == AdjustmentProposal.Status.PROPOSED:
            return queryset.open(timezone.now())
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


@admin.register(AdjustmentProposal)
class AdjustmentProposalAdmin(ReadOnlyAdmin):
    """Proposed from a person's page; approved or rejected here by another operator."""

    list_display = (
        "wallet_owner",
        "direction",
        "amount_inr",
        "reason",
        "state",
        "proposed_at",
        "proposed_by",
        "decided_by",
    )
    list_display_links = ("proposed_at",)
    list_filter = (ProposalStatusFilter, "direction", "proposed_at")
    search_fields = ("account__user__email", "account__user__last_name", "reason")
    list_select_related = ("account__user", "proposed_by", "decided_by")

    @admin.display(description="Wallet of")
    def wallet_owner(self, proposal):
        return party(proposal.account)

    @admin.display(description="Amount", ordering="amount")
    def amount_inr(self, proposal):
        return format_inr(proposal.amount)

    @admin.display(description="Status")
    def state(self, proposal):
        return proposal.status_label(timezone.now())

    def get_urls(self):
        approve = self.admin_site.admin_view(require_POST(self.approve_view))
        reject = self.admin_site.admin_view(require_POST(self.reject_view))
        return [
            path("<path:object_id>/approve/", approve, name="accounts_adjustmentproposal_approve"),
            path("<path:object_id>/reject/", reject, name="accounts_adjustmentproposal_reject"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        proposal = self.get_object(request, object_id) if request.method == "GET" else None
        if proposal is None or not self.has_view_permission(request, proposal):
            return super().change_view(request, object_id, form_url, extra_context)  # and a POST is refused
        open_for_decision = proposal.status == AdjustmentProposal.Status.PROPOSED
        may_decide = request.user.has_perm(CAN_DECIDE) and proposal.proposed_by_id != request.user.pk
        return console_page(
            self,
            request,
            "admin/accounts/adjustmentproposal/detail.html",
            {
                "title": str(proposal),
                "proposal": proposal,
                "state": self.state(proposal),
                "expired": proposal.is_expired(timezone.now()),
                "can_decide": open_for_decision and may_decide,
                "own_proposal": open_for_decision and proposal.proposed_by_id == request.user.pk,
            },
        )

    def _back(self, proposal) -> str:
        return reverse("admin:accounts_adjustmentproposal_change", args=[proposal.pk])

    def approve_view(self, request, object_id):
        proposal = object_or_404(self, request, object_id)
        return run_action(
            request,
            lambda: adjustment_approve(operator=request.user, proposal=proposal),
            done=f"Approved and posted: {proposal.direction} of {format_inr(proposal.amount)}.",
            back_to=self._back(proposal),
            wording=console_message,
        )

    def reject_view(self, request, object_id):
        proposal = object_or_404(self, request, object_id)
        return run_action(
            request,
            lambda: adjustment_reject(operator=request.user, proposal=proposal, reason=request.POST.get("reason")),
            done="Rejected: nothing was posted.",
            back_to=self._back(proposal),
            wording=console_message,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Append-only: nobody adds, changes or deletes an entry here, superusers included (the
    read-only base refuses all three whatever the user's permissions)."""

    list_display = ("actor", "action", "target", "reason", "created_at")
    list_display_links = ("action",)
    list_filter = ("action", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("=target_id", "actor__email", "reason")
    list_select_related = ("actor",)
    readonly_fields = ("created_at", "actor", "action", "target_type", "target_id", "reason", "before", "after")
    fields = readonly_fields

    @admin.display(description="Target")
    def target(self, entry):
        return format_html("{} {}", entry.target_type, short_id(entry.target_id))

    def get_actions(self, request):
        return {}  # not even "delete selected"


@admin.register(LedgerCheck)
class LedgerCheckAdmin(ReadOnlyAdmin):
    list_display = ("ran_at", "ok", "ran_by", "accounts", "transfers")
    list_filter = ("ok",)
    readonly_fields = ("ran_at", "ok", "ran_by", "accounts", "transfers", "breaches")
    fields = readonly_fields
