"""Running a service from a posted form, on the console's pages and the web app's alike: its
outcome as a message, then back to the page."""

from django.contrib import messages
from django.shortcuts import redirect

from core.errors import ServiceError


def run_action(request, action, *, done: str, back_to: str):
    """`action()` calls one service; its refusal is shown as the service words it."""
    try:
        action()
    except ServiceError as error:
        messages.error(request, error.page_message)
    else:
        messages.success(request, done)
    return redirect(back_to)
