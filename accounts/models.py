"""The double-entry ledger.

Invariants (checked by `manage.py verify_ledger`, enforced here where a database can):
- every money movement is one immutable `Transfer` with exactly two `LedgerEntry` rows,
  -amount on the sender and +amount on the recipient, so entries always sum to zero;
- an account's `balance` is a projection: it equals the sum of its entries and is
  updated in the same database transaction that writes them;
- the sum of all balances, the issuance account included, is zero;
- user accounts never go negative; only the issuance account, which funds every
  starting balance, does.
All amounts are integer paise.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Account(models.Model):
    class Kind(models.TextChoices):
        USER = "user", "User wallet"
        ISSUANCE = "issuance", "System issuance"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.USER)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    balance = models.BigIntegerField(default=0, help_text="Paise. A projection of this account's entries.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="issuance") | Q(balance__gte=0), name="account_user_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind="user", user__isnull=False) | Q(kind="issuance", user__isnull=True),
                name="account_kind_matches_owner",
            ),
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="issuance"), name="account_one_issuance"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}" if self.user_id is None else f"Wallet of {self.user}"


class Transfer(models.Model):
    class Kind(models.TextChoices):
        TRANSFER = "transfer", "Transfer"
        GRANT = "grant", "Starting balance"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TRANSFER)
    sender = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transfers_sent")
    recipient = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transfers_received")
    amount = models.BigIntegerField(help_text="Paise, always positive.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(sender=F("recipient")), name="transfer_not_to_self"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.public_id}"


class LedgerEntry(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="entries")
    # No index of its own: entry_account_newest_idx (account, -id) serves every lookup by
    # account, and one index less is one write less on every transfer.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries", db_index=False)
    amount = models.BigIntegerField(help_text="Paise: negative for a debit, positive for a credit.")
    balance_after = models.BigIntegerField(help_text="The account's balance right after this entry, in paise.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "ledger entries"
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero")]
        indexes = [models.Index(fields=["account", "-id"], name="entry_account_newest_idx")]

    @property
    def is_debit(self) -> bool:
        return self.amount < 0


class IdempotencyRecord(models.Model):
    """The first outcome of a user's Idempotency-Key (Stripe's semantics): a retry with the
    same request gets the same answer without moving money; a different request is 422.
    The outcome is either the transfer made or the code of the domain error raised."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    transfer = models.ForeignKey(Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    error_code = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user"),
            models.CheckConstraint(
                condition=Q(transfer__isnull=False, error_code="") | Q(transfer__isnull=True) & ~Q(error_code=""),
                name="idempotency_one_outcome",
            ),
        ]
