"""How the console names things: money in rupees with Indian grouping and a true minus sign
(U+2212), ledger entries by their holder's name, and an audit entry's target by what it is
(a person, a transfer, an adjustment) instead of a bare id. The models' own `__str__` stays as
it is (logs and shells read it); every title, breadcrumb and line of the console reads these."""

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.models import AdjustmentProposal, Transfer
from accounts.money import format_inr
from core.ids import parse_public_id
from users.models import User

MINUS = "\u2212"  # "−": one character, as in print, never a hyphen


def inr(paise: int) -> str:
    """₹1,00,000.00, and −₹12.34 below zero."""
    return format_inr(int(paise)).replace("-", MINUS)


def signed_inr(paise: int) -> str:
    """An entry's amount: +₹12.34 credited, −₹12.34 debited."""
    paise = int(paise)
    return f"{MINUS if paise < 0 else '+'}{format_inr(abs(paise))}"


def holder_name(account) -> str:
    """Who holds an account: a person's name, or the system account's kind."""
    return account.get_kind_display() if account.user_id is None else account.user.full_name


def entry_label(entry) -> str:
    """A ledger entry as operators read it: "Credit of ₹659.49 to Asha Rao"."""
    if entry.amount < 0:
        return f"Debit of {format_inr(-entry.amount)} from {holder_name(entry.account)}"
    return f"Credit of {format_inr(entry.amount)} to {holder_name(entry.account)}"


def transfer_label(transfer) -> str:
    return f"{transfer.get_kind_display()} {str(transfer.public_id)[:8]}"


def ledger_check_label(check) -> str:
    when = timezone.localtime(check.ran_at).strftime("%d %b %Y, %H:%M")
    return f"Ledger check of {when}: {'OK' if check.ok else 'BREACHED'}"


def money_request_label(request) -> str:
    return f"{request.requester.full_name} asks {request.payer.full_name} for {format_inr(request.amount)}"


# -- what an audit entry is about -----------------------------------------------------------


class Target:
    """What an audit entry names: its words and the console page it has, if any."""

    def __init__(self, label: str, url: str | None = None):
        self.label, self.url = label, url

    def __str__(self):
        return self.label

    def link(self):
        return format_html('<a href="{}">{}</a>', self.url, self.label) if self.url else self.label


def audit_targets(entries) -> dict:
    """{entry.pk: Target} for `entries`, in three queries whatever their number: a wallet or a
    person by its holder's name, a transfer by its kind and amount, an adjustment by its
    direction, amount and wallet."""
    entries = list(entries)
    ids = {kind: {e.target_id for e in entries if e.target_type in kinds} for kind, kinds in _TARGET_KINDS.items()}
    people = {str(p.public_id): p for p in User.objects.filter(public_id__in=_uuids(ids["person"]))}
    transfers = {
        str(t.public_id): t
        for t in Transfer.objects.filter(public_id__in=_uuids(ids["transfer"])).select_related(
            "sender__user", "recipient__user"
        )
    }
    proposals = {
        str(p.public_id): p
        for p in AdjustmentProposal.objects.filter(public_id__in=_uuids(ids["adjustment"])).select_related(
            "account__user"
        )
    }
    found = {}
    for entry in entries:
        key = entry.target_id
        if entry.target_type in _TARGET_KINDS["person"] and key in people:
            person = people[key]
            label = f"wallet of {person.full_name}" if entry.target_type == "wallet" else person.full_name
            found[entry.pk] = Target(label, reverse("admin:users_user_change", args=[person.pk]))
        elif entry.target_type == "transfer" and key in transfers:
            transfer = transfers[key]
            label = (
                f"{transfer.get_kind_display().lower()} of {format_inr(transfer.amount)} from "
                f"{holder_name(transfer.sender)} to {holder_name(transfer.recipient)}"
            )
            found[entry.pk] = Target(label, reverse("admin:accounts_transfer_change", args=[transfer.pk]))
        elif entry.target_type == "adjustment" and key in proposals:
            proposal = proposals[key]
            label = f"{proposal.direction} of {format_inr(proposal.amount)}, wallet of {holder_name(proposal.account)}"
            found[entry.pk] = Target(label, reverse("admin:accounts_adjustmentproposal_change", args=[proposal.pk]))
        else:
            found[entry.pk] = Target(f"{entry.target_type} {key[:8]}")
    return found


_TARGET_KINDS = {"person": ("wallet", "person"), "transfer": ("transfer",), "adjustment": ("adjustment",)}


def _uuids(values) -> list:
    return [found for found in map(parse_public_id, values) if found is not None]


def audit_label(entry, target: Target) -> str:
    """ "Froze a wallet: wallet of Asha Rao"."""
    return f"{entry.get_action_display()}: {target}"


def adjustment_label(proposal) -> str:
    """ "Credit of ₹25.50 to Asha Rao"."""
    holder = holder_name(proposal.account)
    if proposal.direction == "debit":
        return f"Debit of {format_inr(proposal.amount)} from {holder}"
    return f"Credit of {format_inr(proposal.amount)} to {holder}"
