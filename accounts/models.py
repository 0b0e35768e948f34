"""The double-entry ledger.

Invariants (checked by `manage.py verify_ledger`, enforced here where a database can):
- every money movement is one immutable `Transfer` with exactly two `LedgerEntry` rows,
  -amount on the sender and +amount on the recipient, so entries always sum to zero;
- an account's `balance` is a projection: it equals the sum of its entries and is
  updated in the same database transaction that writes them;
- the sum of all balances, the issuance account included, is zero;
- user accounts never go negative; only the system accounts can: issuance, which funds
  every starting balance, and adjustment, the other side of operators' corrections;
- a transfer of kind `reversal` names the transfer it reverses, and no transfer is
  reversed twice (a unique link).
All amounts are integer paise.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

IDEMPOTENCY_KEY_MAX_LENGTH = 255
NOTE_MAX_LENGTH = 200


class Account(models.Model):
    class Kind(models.TextChoices):
        USER = "user", "User wallet"
        ISSUANCE = "issuance", "System issuance"
        ADJUSTMENT = "adjustment", "System adjustment"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.USER)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    balance = models.BigIntegerField(default=0, help_text="Paise. A projection of this account's entries.")
    frozen = models.BooleanField(default=False, help_text="Frozen by an operator: cannot send or receive.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="user") | Q(balance__gte=0), name="account_user_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind="user", user__isnull=False) | ~Q(kind="user") & Q(user__isnull=True),
                name="account_kind_matches_owner",
            ),
            # One account per system kind. Written as equalities, which MongoDB's partial
            # unique indexes accept (they refuse a negation such as ~Q(kind="user")).
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="issuance"), name="account_one_issuance"),
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="adjustment"), name="account_one_adjustment"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}" if self.user_id is None else f"Wallet of {self.user}"

    @property
    def is_system(self) -> bool:
        return self.kind != self.Kind.USER


class Transfer(models.Model):
    class Kind(models.TextChoices):
        TRANSFER = "transfer", "Transfer"
        GRANT = "grant", "Starting balance"
        REQUEST = "request", "Paid request"
        REVERSAL = "reversal", "Reversal"
        ADJUSTMENT = "adjustment", "Adjustment"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TRANSFER)
    sender = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transfers_sent")
    recipient = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transfers_received")
    amount = models.BigIntegerField(help_text="Paise, always positive.")
    note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True, default="")
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
        help_text="The transfer this reversal undoes (at most one reversal each).",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(sender=F("recipient")), name="transfer_not_to_self"),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False) | ~Q(kind="reversal") & Q(reverses__isnull=True),
                name="transfer_reversal_links_original",
            ),
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

    def __str__(self):
        return f"{'Debit' if self.amount < 0 else 'Credit'} of {abs(self.amount)} paise on account #{self.account_id}"


class IdempotencyRecord(models.Model):
    """The first outcome of a user's Idempotency-Key (Stripe's semantics): a retry with the
    same request gets the same answer without moving money; a different request is 422.
    The outcome is either the transfer made or the code of the domain error raised."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
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

    def __str__(self):
        return f"Idempotency-Key {self.key!r} of user #{self.user_id}"
