"""What the console's pages share: rendering a page inside the admin's frame, and finding the
object a page is about."""

from django.http import Http404
from django.template.response import TemplateResponse


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
