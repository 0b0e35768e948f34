"""What operators can do to money, from the "Wallet operations" console (console/admin/):
freeze and unfreeze wallets, reverse transfers, propose adjustments and approve or reject
them (four eyes). Deactivating people changes people, so it lives with them
(users/operations.py), on the same helpers.

Every action checks the operator's permission (roles are groups: accounts/migrations/0005),
needs a reason, and writes its AuditEntry in the same unit of work as the action, so an
action and its record commit together or not at all. Money moves only through the one
ledger algorithm (accounts/ledger.py), with the row that gates it (the transfer being
reversed, the proposal being approved) as the movement's source.
"""

from dataclasses import dataclass

from django.utils import timezone

from accounts import ledger
from accounts.exceptions import (
    AdjustmentOverdraft,
    AlreadyReversed,
    InsufficientBalance,
    InvalidAccount,
    InvalidAmount,
    NotReversible,
    OperationForbidden,
    OwnProposal,
    ProposalExpired,
    ProposalNotOpen,
    ReasonRequired,
    ReversalExceedsBalance,
    WalletStateUnchanged,
)
from accounts.ledger_checks import ledger_verify
from accounts.models import NOTE_MAX_LENGTH, Account, AdjustmentProposal, AuditEntry, LedgerCheck, Transfer
from accounts.money import format_inr, is_valid_paise
from accounts.movements import Movement
from accounts.stores import ledger_store
from accounts.stores.base import LedgerReport, PostedTransfer
from core.text import has_control_characters

CAN_FREEZE = "accounts.freeze_account"
CAN_REVERSE = "accounts.reverse_transfer"
CAN_PROPOSE = "accounts.propose_adjustment"
CAN_DECIDE = "accounts.approve_adjustment"


def require(operator, permission: str) -> None:
    if not (operator.is_active and operator.is_staff and operator.has_perm(permission)):
        raise OperationForbidden()


def clean_reason(reason) -> str:
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > NOTE_MAX_LENGTH or has_control_characters(reason):
        raise ReasonRequired()
    return reason


def wallet_pk_of(person):
    """The primary key of the person's wallet; InvalidAccount for someone without one."""
    wallet_pk = Account.objects.filter(user=person, kind=Account.Kind.USER).values_list("pk", flat=True).first()
    if wallet_pk is None:
        raise InvalidAccount()
    return wallet_pk


def audit(unit, *, operator, action, target_type, target_id, reason, before, after) -> None:
    unit.insert(
        AuditEntry(
            actor_id=operator.pk,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            reason=reason,
            before=before,
            after=after,
        )
    )


# -- wallets and people -------------------------------------------------------------------


def wallet_set_frozen(*, operator, person, frozen: bool, reason: str) -> None:
    """Freeze (or unfreeze) a person's wallet: frozen, it cannot send, be paid or be asked
    for money, and it leaves search; its owner can still sign in and read everything."""
    require(operator, CAN_FREEZE)
    reason = clean_reason(reason)
    wallet_pk = wallet_pk_of(person)

    def work(unit):
        wallet = unit.lock_row(Account, wallet_pk)
        if wallet.frozen == frozen:
            raise WalletStateUnchanged("This wallet is already frozen" if frozen else "This wallet is not frozen")
        wallet.frozen = frozen
        unit.update_fields(wallet, ["frozen"])
        audit(
            unit,
            operator=operator,
            action=AuditEntry.Action.FREEZE if frozen else AuditEntry.Action.UNFREEZE,
            target_type="wallet",
            target_id=person.public_id,
            reason=reason,
            before={"frozen": not frozen},
            after={"frozen": frozen},
        )

    ledger_store().run(work)


# -- reversals ------------------------------------------------------------------------------


@dataclass
class ReversalSource:
    """The transfer being reversed: locked, and still reversible, when the reversal posts."""

    original: Transfer
    operator: object  # the operator (a users.User)
    reason: str

    def claim(self, unit):
        original = unit.lock_row(Transfer, self.original.pk)
        if original is None or not original.kind_is_reversible:
            return ledger.Refused(NotReversible.default_code)
        if unit.exists(Transfer, reverses=self.original.pk):
            return ledger.Refused(AlreadyReversed.default_code)
        return None

    def settle(self, unit, transfer: PostedTransfer) -> None:
        audit(
            unit,
            operator=self.operator,
            action=AuditEntry.Action.REVERSE,
            target_type="transfer",
            target_id=self.original.public_id,
            reason=self.reason,
            before={"reversed": False},
            after={"reversed": True, "reversal": transfer.public_id, "amount": self.original.amount},
        )


def transfer_reverse(*, operator, transfer: Transfer, reason: str) -> ledger.Posted:
    """A `reversal` transfer of the same amount from the recipient back to the sender, linked
    to its original. At most one per transfer (the database's unique link); refused when the
    recipient holds less than the amount (no balance ever goes negative)."""
    require(operator, CAN_REVERSE)
    reason = clean_reason(reason)
    movement = Movement(
        Transfer.Kind.REVERSAL,
        sender=transfer.recipient_id,
        recipient=transfer.sender_id,
        amount=transfer.amount,
        note=reason,
        reverses=transfer.pk,
    )
    outcome = ledger.post(movement, source=ReversalSource(original=transfer, operator=operator, reason=reason))
    if isinstance(outcome, ledger.Refused) and outcome.code == InsufficientBalance.default_code:
        holder = Account.objects.select_related("user").get(pk=transfer.recipient_id)
        raise ReversalExceedsBalance(
            f"{holder.user.full_name} holds {format_inr(holder.balance)}, less than the "
            f"{format_inr(transfer.amount)} to reverse, so nothing was reversed"
        )
    return ledger.raise_if_refused(outcome)


# -- adjustments (four eyes) -------------------------------------------------------------------


def adjustment_propose(*, operator, person, direction: str, amount: int, reason: str) -> AdjustmentProposal:
    require(operator, CAN_PROPOSE)
    reason = clean_reason(reason)
    if not is_valid_paise(amount):
        raise InvalidAmount()
    if direction not in AdjustmentProposal.Direction.values:
        raise InvalidAmount("Choose credit or debit")
    wallet_pk = wallet_pk_of(person)
    proposal = AdjustmentProposal(
        account_id=wallet_pk, direction=direction, amount=amount, reason=reason, proposed_by=operator
    )

    def work(unit):
        unit.insert(proposal)
        audit(
            unit,
            operator=operator,
            action=AuditEntry.Action.PROPOSE_ADJUSTMENT,
            target_type="adjustment",
            target_id=proposal.public_id,
            reason=reason,
            before={},
            after={"person": str(person.public_id), "direction": direction, "amount": amount, "status": "proposed"},
        )

    ledger_store().run(work)
    return proposal


@dataclass
class ProposalSource:
    """The proposal being approved: locked, and still open and recent, when it posts."""

    proposal: AdjustmentProposal
    operator: object  # the operator (a users.User)

    def claim(self, unit):
        stored = unit.lock_row(AdjustmentProposal, self.proposal.pk)
        if stored.status != AdjustmentProposal.Status.PROPOSED:
            return ledger.Refused(ProposalNotOpen.default_code)
        if stored.is_expired(timezone.now()):
            return ledger.Refused(ProposalExpired.default_code)
        self.proposal = stored
        return None

    def settle(self, unit, transfer: PostedTransfer) -> None:
        proposal = self.proposal
        proposal.status, proposal.decided_by_id = AdjustmentProposal.Status.APPROVED, self.operator.pk
        proposal.decided_at, proposal.transfer_id = timezone.now(), transfer.pk
        unit.update_fields(proposal, ["status", "decided_by", "decided_at", "transfer"])
        audit(
            unit,
            operator=self.operator,
            action=AuditEntry.Action.APPROVE_ADJUSTMENT,
            target_type="adjustment",
            target_id=proposal.public_id,
            reason=proposal.reason,
            before={"status": "proposed"},
            after={"status": "approved", "transfer": transfer.public_id},
        )


def adjustment_approve(*, operator, proposal: AdjustmentProposal) -> ledger.Posted:
    """Post the proposal, once, against the system adjustment account. Refused for the
    proposer, after a decision, after ADJUSTMENT_APPROVAL_DAYS, and for a debit the wallet
    cannot cover."""
    require(operator, CAN_DECIDE)
    if proposal.proposed_by_id == operator.pk:
        raise OwnProposal()

    def work(unit):
        adjustment_account = unit.system_account(Account.Kind.ADJUSTMENT)
        credit = proposal.direction == AdjustmentProposal.Direction.CREDIT
        sender, recipient = (
            (adjustment_account, proposal.account_id) if credit else (proposal.account_id, adjustment_account)
        )
        movement = Movement(Transfer.Kind.ADJUSTMENT, sender, recipient, proposal.amount, note=proposal.reason)
        return ledger.post_in(unit, movement, source=ProposalSource(proposal=proposal, operator=operator))

    outcome = ledger_store().run(work)
    if isinstance(outcome, ledger.Refused) and outcome.code == InsufficientBalance.default_code:
        raise AdjustmentOverdraft()
    return ledger.raise_if_refused(outcome)


def adjustment_reject(*, operator, proposal: AdjustmentProposal, reason: str) -> None:
    require(operator, CAN_DECIDE)
    reason = clean_reason(reason)
    if proposal.proposed_by_id == operator.pk:
        raise OwnProposal()

    def work(unit):
        stored = unit.lock_row(AdjustmentProposal, proposal.pk)
        if stored.status != AdjustmentProposal.Status.PROPOSED:
            raise ProposalNotOpen()
        stored.status, stored.decided_by_id = AdjustmentProposal.Status.REJECTED, operator.pk
        stored.decided_at, stored.decision_note = timezone.now(), reason
        unit.update_fields(stored, ["status", "decided_by", "decided_at", "decision_note"])
        audit(
            unit,
            operator=operator,
            action=AuditEntry.Action.REJECT_ADJUSTMENT,
            target_type="adjustment",
            target_id=proposal.public_id,
            reason=reason,
            before={"status": "proposed"},
            after={"status": "rejected"},
        )

    ledger_store().run(work)


# -- the ledger check -----------------------------------------------------------------------------


def ledger_check_run(*, ran_by: str) -> tuple[LedgerReport, LedgerCheck]:
    """Run every ledger invariant check and keep its outcome for the overview."""
    report = ledger_verify()
    check = LedgerCheck.objects.create(
        ran_by=ran_by, ok=report.ok, accounts=report.accounts, transfers=report.transfers, breaches=report.breaches
    )
    return report, check
