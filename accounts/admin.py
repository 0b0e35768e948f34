"""Operators see wallets and the ledger; nothing here can create, change or delete them.

Balances move only through accounts.services, so every model here is read-only."""

from django.contrib import admin

from accounts.models import Account, IdempotencyRecord, LedgerEntry, Transfer
from accounts.money import format_inr

USER_SEARCH = ("user__email", "user__first_name", "user__last_name")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "kind", "balance_inr", "created_at")
    list_filter = ("kind", "created_at")
    search_fields = USER_SEARCH
    list_select_related = ("user",)

    @admin.display(description="Balance", ordering="balance")
    def balance_inr(self, account):
        return format_inr(account.balance)


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ("account", "amount", "balance_after", "created_at")
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "kind", "sender", "recipient", "amount_inr", "created_at")
    list_filter = ("kind", "created_at")
    date_hierarchy = "created_at"
    search_fields = (
        "public_id",
        "sender__user__email",
        "recipient__user__email",
        "sender__user__last_name",
        "recipient__user__last_name",
    )
    list_select_related = ("sender__user", "recipient__user")
    inlines = [LedgerEntryInline]

    @admin.display(description="Amount", ordering="amount")
    def amount_inr(self, transfer):
        return format_inr(transfer.amount)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("transfer", "account", "amount_inr", "balance_after_inr", "created_at")
    list_filter = ("created_at", "account__kind")
    date_hierarchy = "created_at"
    search_fields = (
        "account__user__email",
        "account__user__first_name",
        "account__user__last_name",
        "transfer__public_id",
    )
    list_select_related = ("transfer", "account__user")

    @admin.display(description="Amount", ordering="amount")
    def amount_inr(self, entry):
        return format_inr(entry.amount)

    @admin.display(description="Balance after")
    def balance_after_inr(self, entry):
        return format_inr(entry.balance_after)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("user", "key", "transfer", "error_code", "created_at")
    search_fields = ("user__email", "key")
    list_select_related = ("user", "transfer")
