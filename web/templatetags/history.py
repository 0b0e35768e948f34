from django import template

register = template.Library()


@register.filter
def history_label(entry) -> str:
    """What a person reads for one line of their history."""
    transfer = entry.transfer
    debit = entry.amount < 0
    other = entry.counterparty
    name = other.full_name if other else ""
    if transfer.kind == "grant":
        return "Starting balance"
    if transfer.kind == "adjustment":
        return "Correction by Wallet support"
    if transfer.kind == "reversal":
        return f"Reversed: returned to {name}" if debit else f"Reversed: returned from {name}"
    if transfer.kind == "request":
        return f"Paid {name}'s request" if debit else f"{name} paid your request"
    return f"To {name}" if debit else f"From {name}"
