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
  reversed twice (a unique link);
- a transfer of kind `adjustment` exists only for an approved `AdjustmentProposal` (which
  links to it, at most once), proposed and approved by two different operators.
Every operator action is recorded in the append-only `AuditEntry`, in the same unit of
work as the action. All amounts are integer paise.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

IDEMPOTENCY_KEY_MAX_LENGTH = 255
NOTE_MAX_LENGTH = 200
REQUEST_NOTE_MAX_LENGTH = 100
ADJUSTMENT_APPROVAL_DAYS = 7  # a proposal older than this can no longer be approved


class AccountQuerySet(models.QuerySet):
    def payable(self):
        """Wallets that can be paid or asked for money: a person's, not frozen, its owner active."""
        return self.filter(kind=Account.Kind.USER, frozen=False, user__is_active=True)


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

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = "wallet"  # and the system accounts (issuance, adjustment), filtered by kind
        permissions = [("freeze_account", "Can freeze and unfreeze wallets")]
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
        permissions = [("reverse_transfer", "Can reverse transfers")]
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

    @property
    def kind_is_reversible(self) -> bool:
        """Only a payment between people can be reversed (never a grant, a reversal or an adjustment)."""
        return self.kind in PERSON_TO_PERSON_KINDS


# Payments between people: what the overview counts, what can be reversed, what a frozen wallet stops.
PERSON_TO_PERSON_KINDS = (Transfer.Kind.TRANSFER, Transfer.Kind.REQUEST)


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

    @property
    def counterparty(self):
        """The person on the other side of this entry, or None for a system account."""
        transfer = self.transfer
        return (transfer.recipient if self.amount < 0 else transfer.sender).user


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


class AdjustmentProposalQuerySet(models.QuerySet):
    def open(self, now):
        """Proposed and still recent enough to approve."""
        return self.filter(status=AdjustmentProposal.Status.PROPOSED, proposed_at__gte=expiry_cutoff(now))

    def expired(self, now):
        """Proposed, never decided, and too old to approve."""
        return self.filter(status=AdjustmentProposal.Status.PROPOSED, proposed_at__lt=expiry_cutoff(now))


def expiry_cutoff(now):
    return now - timedelta(days=ADJUSTMENT_APPROVAL_DAYS)


class AdjustmentProposal(models.Model):
    """A correction of a wallet's balance, against the system adjustment account, with four
    eyes: one operator proposes, a different one approves (which posts it, once) or rejects.
    Older than ADJUSTMENT_APPROVAL_DAYS, a proposal can no longer be approved."""

    class Direction(models.TextChoices):
        CREDIT = "credit", "Credit (add to the wallet)"
        DEBIT = "debit", "Debit (take from the wallet)"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for approval"
        APPROVED = "approved", "Approved and posted"
        REJECTED = "rejected", "Rejected"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="adjustment_proposals")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    amount = models.BigIntegerField(help_text="Paise, always positive.")
    reason = models.CharField(max_length=NOTE_MAX_LENGTH)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True, default="")
    transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="adjustment_proposal"
    )

    objects = AdjustmentProposalQuerySet.as_manager()

    class Meta:
        permissions = [
            ("propose_adjustment", "Can propose balance adjustments"),
            ("approve_adjustment", "Can approve or reject balance adjustments"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="adjustment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="approved", transfer__isnull=False)
                | ~Q(status="approved") & Q(transfer__isnull=True),
                name="adjustment_posted_only_when_approved",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")), name="adjustment_four_eyes"
            ),
        ]

    def __str__(self):
        return f"{self.get_direction_display().split(' ')[0]} adjustment {str(self.public_id)[:8]}"

    def is_expired(self, now) -> bool:
        """Too old to approve (whatever its status: a decided proposal simply stays decided)."""
        return self.proposed_at < expiry_cutoff(now)

    def status_label(self, now) -> str:
        """The status operators read: a proposal nobody decided in time reads as expired."""
        if self.status == self.Status.PROPOSED and self.is_expired(now):
            return "expired"
        return self.get_status_display()


class AuditEntry(models.Model):
    """What an operator did, to what, why, and what it changed: append-only. Written in the
    unit of work of the action itself, so an action and its record commit together."""

    class Action(models.TextChoices):
        FREEZE = "freeze", "Froze a wallet"
        UNFREEZE = "unfreeze", "Unfroze a wallet"
        REVERSE = "reverse", "Reversed a transfer"
        PROPOSE_ADJUSTMENT = "propose_adjustment", "Proposed an adjustment"
        APPROVE_ADJUSTMENT = "approve_adjustment", "Approved an adjustment"
        REJECT_ADJUSTMENT = "reject_adjustment", "Rejected an adjustment"
        DEACTIVATE = "deactivate", "Deactivated a person"
        REACTIVATE = "reactivate", "Reactivated a person"

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    target_type = models.CharField(max_length=32, help_text="wallet, transfer, adjustment or person")
    target_id = models.CharField(max_length=64, help_text="The target's public id (its owner's, for a wallet).")
    reason = models.CharField(max_length=NOTE_MAX_LENGTH)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_action_display()} ({self.target_type} {self.target_id[:8]})"


class LedgerCheck(models.Model):
    """The outcome of one `verify_ledger` run (the command, or the operators' overview)."""

    ran_at = models.DateTimeField(default=timezone.now, db_index=True)
    ran_by = models.CharField(max_length=254, help_text="An operator's email, or the command.")
    ok = models.BooleanField()
    accounts = models.BigIntegerField(default=0)
    transfers = models.BigIntegerField(default=0)
    breaches = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self):
        return f"Ledger check {self.ran_at:%Y-%m-%d %H:%M}: {'OK' if self.ok else 'BREACHED'}"


class MoneyRequestQuerySet(models.QuerySet):
    def with_status(self, status: str, now):
        """Requests whose status people see is `status` at `now` (see MoneyRequest.status_at)."""
        if status == MoneyRequest.EXPIRED:
            return self.filter(status=MoneyRequest.Status.PENDING, expires_at__lte=now)
        if status == MoneyRequest.Status.PENDING:
            return self.filter(status=MoneyRequest.Status.PENDING, expires_at__gt=now)
        return self.filter(status=status)

    def pending(self, now):
        """Still waiting: neither paid, declined nor cancelled, and not expired."""
        return self.with_status(MoneyRequest.Status.PENDING, now)


class MoneyRequest(models.Model):
    """A request for money (like UPI "collect"): the requester asks the payer for an amount.
    Only the payer pays or declines it, only the requester cancels it. Paid at most once: the
    payment's transfer is linked here (a unique link) in the same unit of work as the state
    change. A pending request past `expires_at` reads as expired; no job has to mark it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        PAID = "paid", "Paid"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"

    EXPIRED = "expired"  # never stored: what a pending request reads as after expires_at
    STATUSES_SEEN = (*Status.values, EXPIRED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField(help_text="Paise, always positive.")
    note = models.CharField(max_length=REQUEST_NOTE_MAX_LENGTH, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    transfer = models.OneToOneField(Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="request")

    objects = MoneyRequestQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="request_amount_positive"),
            models.CheckConstraint(condition=~Q(requester=F("payer")), name="request_not_to_self"),
            models.CheckConstraint(
                condition=Q(status="paid", transfer__isnull=False) | ~Q(status="paid") & Q(transfer__isnull=True),
                name="request_paid_with_a_transfer",
            ),
        ]
        indexes = [
            models.Index(fields=["payer", "-id"], name="request_payer_newest_idx"),
            models.Index(fields=["requester", "-id"], name="request_requester_newest_idx"),
        ]

    def __str__(self):
        return f"Request {str(self.public_id)[:8]} for {self.amount} paise"

    def status_at(self, moment) -> str:
        """The status people see: a pending request past its expiry is `expired`."""
        if self.status == self.Status.PENDING and self.expires_at <= moment:
            return self.EXPIRED
        return self.status
