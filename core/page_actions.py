"""Running a service from a posted form, on the console's pages and the web app's alike: its
outcome as a message, then back to the page."""

from collections.abc import Callable

from django.contrib import messages
from django.shortcuts import redirect

from core.errors import ServiceError

Wording = Callable[[ServiceError], str]


def run_action(request, action, *, done: str, back_to: str, wording: Wording):
    """`action()` calls one service; its refusal is shown in the words `wording` gives it
    (each presentation app keeps a table of its own, keyed by the error's code)."""
    try:
        action()
    except ServiceError as error:
        messages.error(request, wording(error))
    else:
        messages.success(request, done)
    return redirect(back_to)
