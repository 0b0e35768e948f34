from django import template

from accounts.money import format_inr

register = template.Library()


@register.filter
def inr(paise: int) -> str:
    """Paise as rupees with Indian digit grouping: 10000000 -> ₹1,00,000.00."""
    return format_inr(int(paise))
