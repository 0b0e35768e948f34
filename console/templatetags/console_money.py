"""Money in the console's templates: `{% load console_money %}`, then `|inr` (−₹12.34 below
zero, a true minus sign) and `|signed_inr` (+₹12.34 or −₹12.34, for a ledger entry)."""

from django import template

from console import display

register = template.Library()


@register.filter
def inr(paise) -> str:
    return display.inr(paise)


@register.filter
def signed_inr(paise) -> str:
    return display.signed_inr(paise)
