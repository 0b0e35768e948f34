"""What the console's pages share: rendering a page inside the admin's frame, and finding the
object a page is about (by its public id, or a person by their exact email)."""

from django.http import Http404
from django.template.response import TemplateResponse

from core.ids import parse_public_id
from users.models import User, normalize_email


def console_page(model_admin, request, template: str, context: dict) -> TemplateResponse:
    return TemplateResponse(
        request,
        template,
        {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, **context},
    )


def object_or_404(model_admin, request, object_id):
    found = model_admin.get_object(request, object_id)
    if found is None:
        raise Http404(f"No {model_admin.model._meta.verbose_name} with that id")
    return found


def exact_id_search(queryset, search_term: str):
    """The rows whose public id is `search_term`, when it is an id; None otherwise. (A UUID is
    stored as 32 hex digits on SQLite, so the admin's text search would not find it.)"""
    public_id = parse_public_id(search_term)
    return None if public_id is None else queryset.filter(public_id=public_id)


def exact_person(query: str):
    """The primary key of the person whose email is exactly `query` (emails are stored folded,
    users.models.normalize_email), or None."""
    if "@" not in query:
        return None
    return User.objects.filter(email=normalize_email(query)).values_list("pk", flat=True).first()


def exact_match(query: str):
    """The primary key of the person `query` names exactly, by `_id` or by email; else None."""
    public_id = parse_public_id(query)
    if public_id is not None:
        return User.objects.filter(public_id=public_id).values_list("pk", flat=True).first()
    return exact_person(query)
