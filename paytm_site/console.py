"""What the console's pages share: rendering a page inside the admin's frame, and running an
operator's action from a posted form (its outcome as a message, then back to the page)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from paytm_site.errors import ServiceError


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


def run_action(request, action, *, done: str, back_to: str):
    """`action()` is one service of accounts.operations; its refusal is shown as it says it."""
    try:
        action()
    except ServiceError as error:
        messages.error(request, error.page_message)
    else:
        messages.success(request, done)
    return redirect(back_to)
