from django import template

from accounts.models import AuditEntry

register = template.Library()


@register.simple_tag
def latest_audit_entries(count: int):
    return list(AuditEntry.objects.select_related("actor").order_by("-created_at")[:count])
