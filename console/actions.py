"""Bulk actions of the console's lists that need a reason: the page asking for it, then the
service for each selected person, each refusal reported by name."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from accounts.operations import clean_reason, wallet_set_frozen
from console.wording import console_message
from core.errors import ServiceError


def set_frozen_with_reason(model_admin, request, people, *, frozen: bool):
    """Freeze (or unfreeze) the wallets of `people`: first ask for the reason, then freeze each."""
    verb = "Freeze" if frozen else "Unfreeze"
    error = None
    if "reason" in request.POST:
        try:
            reason = clean_reason(request.POST["reason"])
        except ServiceError as refused:
            error = console_message(refused)
        else:
            done = 0
            for person in people:
                try:
                    wallet_set_frozen(operator=request.user, person=person, frozen=frozen, reason=reason)
                    done += 1
                except ServiceError as refused:
                    messages.warning(request, f"{person.full_name}: {console_message(refused)}")
            messages.success(request, f"{verb}: done for {done} wallet(s).")
            return None  # back to the list
    return TemplateResponse(
        request,
        "admin/operations/reason_action.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": f"{verb} wallets",
            "verb": verb,
            "people": people,
            "action": request.POST.get("action"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "error": error,
        },
    )
