"""Wallets, transfers, adjustments and the audit log in the "Wallet operations" console.

Nothing here edits a balance or a ledger row: every model is read-only in the admin, and
money moves only through the operators' actions (accounts/operations.py), each with a
reason and an audit entry: reverse a transfer (its page), approve or reject an adjustment
(its page; proposals are made from a person's page), freeze a wallet (a person's page or
the wallet list). The audit log is append-only for everyone, superusers included.
Lists put names and amounts first and shorten ids, so they read at 1280 px; amounts are in
rupees with a true minus sign and entries named by their holder (console/display.py).
Idempotency records are not shown: they are the API's memory of retried requests for a day,
not a fact about money (the transfer a retry replayed is on the transfer's page)."""

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
    LedgerCheck,
    LedgerEntry,
    MoneyRequest,
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
from console.admin.common import ReadOnlyAdmin, titled, yes_no
from console.display import (
    adjustment_label,
    audit_label,
    audit_targets,
    entry_label,
    holder_name,
    inr,
    ledger_check_label,
    money_request_label,
    signed_inr,
    transfer_label,
)
from console.pages import console_page, exact_id_search, object_or_404
from console.wording import console_message
from core.page_actions import run_action
from users.models import User

PERSON_SEARCH = ("user__email", "user__first_name", "user__last_name")


def short_id(public_id) -> str:
    return format_html('<span class="short-id" title="{}">{}</span>', public_id, str(public_id)[:8])


def party(account) -> str:
    """Who holds an account: a person's name (linked to their page) or the system account."""
    if account.user_id is None:
        return account.get_kind_display()
    return person_link(account.user)


def person_link(person) -> str:
    return format_html('<a href="{}">{}</a>', reverse("admin:users_user_change", args=[person.pk]), person.full_name)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    """The wallet list. A wallet's page is its owner's page."""

    list_display = ("owner", "email", "balance_inr", "state", "kind", "created_at")
    list_filter = (
        ("kind", titled("kind")),
        yes_no("frozen", "state", "Frozen", "Not frozen"),
        ("created_at", titled("opened")),
    )
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
        return inr(account.balance)

    @admin.display(description="State")
    def state(self, account):
        return "frozen" if account.frozen else "—"

    def object_label(self, account):
        return holder_name(account) if account.user_id is None else f"Wallet of {account.user.full_name}"

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


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("from_party", "to_party", "amount_inr", "kind", "note", "created_at", "transfer_id")
    list_display_links = ("created_at",)
    list_filter = (("kind", titled("kind")), ("created_at", titled("date")))
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
        return inr(transfer.amount)

    def object_label(self, transfer):
        return transfer_label(transfer)

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
                "title": transfer_label(transfer),
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
    list_filter = (("created_at", titled("date")), ("account__kind", titled("account")))
    date_hierarchy = "created_at"
    search_fields = ("account__user__email", "account__user__first_name", "account__user__last_name")
    list_select_related = ("transfer", "account__user")

    @admin.display(description="Account")
    def holder(self, entry):
        return party(entry.account)

    @admin.display(description="Amount", ordering="amount")
    def amount_inr(self, entry):
        return signed_inr(entry.amount)

    @admin.display(description="Balance after")
    def balance_after_inr(self, entry):
        return inr(entry.balance_after)

    @admin.display(description="Kind")
    def kind(self, entry):
        return entry.transfer.kind

    @admin.display(description="Transfer")
    def transfer_id(self, entry):
        url = reverse("admin:accounts_transfer_change", args=[entry.transfer_id])
        return format_html('<a href="{}">{}</a>', url, short_id(entry.transfer.public_id))

    def object_label(self, entry):
        return entry_label(entry)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, object_id) if request.method == "GET" else None
        if entry is None or not self.has_view_permission(request, entry):
            return super().change_view(request, object_id, form_url, extra_context)  # and a POST is refused
        return console_page(
            self,
            request,
            "admin/accounts/ledgerentry/detail.html",
            {"title": entry_label(entry), "entry": entry, "transfer": entry.transfer},
        )


class MoneyRequestStatusFilter(admin.SimpleListFilter):
    """The status people see: a pending request past its time reads as expired."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(value, label) for value, label in MoneyRequest.Status.choices] + [(MoneyRequest.EXPIRED, "Expired")]

    def queryset(self, request, queryset):
        if self.value() in MoneyRequest.STATUSES_SEEN:
            return queryset.with_status(self.value(), timezone.now())
        return queryset


@admin.register(MoneyRequest)
class MoneyRequestAdmin(ReadOnlyAdmin):
    """People asking each other for money (the requests page, the API): read-only here."""

    list_display = ("asked_by", "asked_of", "amount_inr", "note", "state", "created_at", "expires_at")
    list_display_links = ("created_at",)
    list_filter = (MoneyRequestStatusFilter, ("created_at", titled("date")))
    date_hierarchy = "created_at"
    search_fields = ("requester__email", "requester__last_name", "payer__email", "payer__last_name", "note")
    list_select_related = ("requester", "payer", "transfer")
    fields = (
        "asked_by",
        "asked_of",
        "amount_inr",
        "note",
        "state",
        "created_at",
        "expires_at",
        "decided_at",
        "paid_by",
    )
    readonly_fields = fields

    @admin.display(description="Asked by", ordering="requester__first_name")
    def asked_by(self, request_):
        return person_link(request_.requester)

    @admin.display(description="Asked of", ordering="payer__first_name")
    def asked_of(self, request_):
        return person_link(request_.payer)

    @admin.display(description="Amount", ordering="amount")
    def amount_inr(self, request_):
        return inr(request_.amount)

    @admin.display(description="Status")
    def state(self, request_):
        status = request_.status_at(timezone.now())
        return "Expired" if status == MoneyRequest.EXPIRED else MoneyRequest.Status(status).label

    @admin.display(description="Paid by transfer")
    def paid_by(self, request_):
        if request_.transfer_id is None:
            return "—"
        url = reverse("admin:accounts_transfer_change", args=[request_.transfer_id])
        return format_html('<a href="{}">{}</a>', url, short_id(request_.transfer.public_id))

    def object_label(self, request_):
        return money_request_label(request_)

    def get_search_results(self, request, queryset, search_term):
        found = exact_id_search(queryset, search_term)
        if found is not None:
            return found, False
        return super().get_search_results(request, queryset, search_term)


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
    list_filter = (ProposalStatusFilter, ("direction", titled("direction")), ("proposed_at", titled("date proposed")))
    search_fields = ("account__user__email", "account__user__last_name", "reason")
    list_select_related = ("account__user", "proposed_by", "decided_by")

    @admin.display(description="Wallet of")
    def wallet_owner(self, proposal):
        return party(proposal.account)

    @admin.display(description="Amount", ordering="amount")
    def amount_inr(self, proposal):
        return inr(proposal.amount)

    @admin.display(description="Status")
    def state(self, proposal):
        return proposal.status_label(timezone.now())

    def object_label(self, proposal):
        return adjustment_label(proposal)

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
                "title": adjustment_label(proposal),
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
    read-only base refuses all three whatever the user's permissions). Each line names its
    target (whose wallet, which transfer) and its reason, so no two lines read the same."""

    list_display = ("operator", "action", "target", "reason", "created_at")
    list_display_links = ("action",)
    list_filter = (("action", titled("action")), ("created_at", titled("date")))
    date_hierarchy = "created_at"
    search_fields = ("=target_id", "actor__email", "reason")
    list_select_related = ("actor",)
    readonly_fields = ("created_at", "actor", "action", "target", "reason", "before", "after")
    fields = readonly_fields

    @admin.display(description="Operator", ordering="actor__email")
    def operator(self, entry):
        return entry.actor.email

    @admin.display(description="Target")
    def target(self, entry):
        found = getattr(entry, "console_target", None) or audit_targets([entry])[entry.pk]
        return found.link()

    def object_label(self, entry):
        return audit_label(entry, audit_targets([entry])[entry.pk])

    def get_changelist_instance(self, request):
        """The targets of a page of the log are found together (console/display.py)."""
        changelist = super().get_changelist_instance(request)
        targets = audit_targets(changelist.result_list)
        for entry in changelist.result_list:
            entry.console_target = targets[entry.pk]
        return changelist

    def get_actions(self, request):
        return {}  # not even "delete selected"


@admin.register(LedgerCheck)
class LedgerCheckAdmin(ReadOnlyAdmin):
    list_display = ("ran_at", "ok", "ran_by", "accounts", "transfers")
    list_filter = (yes_no("ok", "result", "OK", "Breached"),)
    readonly_fields = ("ran_at", "ok", "ran_by", "accounts", "transfers", "breaches")
    fields = readonly_fields

    def object_label(self, check):
        return ledger_check_label(check)
