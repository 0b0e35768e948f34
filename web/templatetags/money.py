from django import template

from accounts.money import format_inr
from paytm_site.clock import in_india

register = template.Library()


@register.filter
def inr(paise: int) -> str:
    """Paise as rupees with Indian digit grouping: 10000000 -> ₹1,00,000.00."""
    return format_inr(int(paise))


@register.filter
def india_time(moment):
    """A datetime in India time, for the `date` filter to format."""
    return in_india(moment) if moment else moment
