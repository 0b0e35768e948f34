"""Asking for money and getting paid: the requests page (ask someone; pay or decline what
you are asked; cancel what you asked), the QR code to receive, and the link it encodes."""

import uuid

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from accounts.exceptions import InvalidAccount
from accounts.money import format_inr, parse_rupees
from accounts.money_requests import request_cancel, request_create, request_decline, request_pay, requests_list
from accounts.selectors import payable_person
from core.errors import ServiceError
from core.page_actions import run_action
from users.selectors import user_search
from web.forms import AskForm, PayRequestForm
from web.views import show_error
from web.wording import page_message

LISTED = 50


@login_required
@require_http_methods(["GET", "POST"])
def requests_page(request):
    """Ask someone (found by name, or chosen from the dashboard), and the lists of requests."""
    payer = payable_person(request.GET.get("id"), exclude=request.user)
    form = AskForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            if payer is None:
                raise InvalidAccount("Choose who to ask first.")
            amount = parse_rupees(form.cleaned_data["amount"])
            request_create(
                requester=request.user, payer_id=str(payer.public_id), amount=amount, note=form.cleaned_data["note"]
            )
        except ServiceError as error:
            status = show_error(form, error)
        else:
            messages.success(request, f"Asked {payer.full_name} for {format_inr(amount)}.")
            return redirect("requests")
    elif request.method == "POST":
        status = 400
    query = request.GET.get("filter", "").strip()
    now = timezone.now()
    context = {
        "payer": payer,
        "form": form,
        "query": query,
        "found": user_search(query=query, exclude=request.user).items if query and payer is None else [],
        "incoming": _listed(request.user, "incoming", now),
        "outgoing": _listed(request.user, "outgoing", now),
        "pay_key": uuid.uuid4().hex,
    }
    return render(request, "web/requests.html", context, status=status)


def _listed(user, direction, now) -> list:
    return [(item, item.status_at(now)) for item in requests_list(user=user, direction=direction, limit=LISTED).items]


@login_required
@require_POST
def pay_request(request, request_id):
    form = PayRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "This page was stale, so nothing was paid. Please try again.")
        return redirect("requests")
    try:
        receipt = request_pay(
            payer=request.user,
            request_id=str(request_id),
            # Minted when the page was shown: a double click or a resubmission replays; the
            # request's id makes it one key per request on that page.
            idempotency_key=f"web-{form.cleaned_data['idempotency_key']}-{request_id}",
        )
    except ServiceError as error:
        messages.error(request, page_message(error))
    else:
        balance = format_inr(receipt.sender_balance)
        verb = "Already paid: nothing more was sent" if receipt.replayed else "Paid"
        messages.success(request, f"{verb}. Your balance is {balance}.")
    return redirect("requests")


@login_required
@require_POST
def decline_request(request, request_id):
    return run_action(
        request,
        lambda: request_decline(payer=request.user, request_id=str(request_id)),
        done="Request declined.",
        back_to="requests",
        wording=page_message,
    )


@login_required
@require_POST
def cancel_request(request, request_id):
    return run_action(
        request,
        lambda: request_cancel(requester=request.user, request_id=str(request_id)),
        done="Request cancelled.",
        back_to="requests",
        wording=page_message,
    )


@login_required
def receive_page(request):
    """A QR code of the link that opens the send page for this person (made on the server)."""
    link = request.build_absolute_uri(reverse("pay-link", args=[request.user.public_id]))
    qr = segno.make(link, error="m").svg_inline(dark="#111827", omitsize=True, title=f"Pay {request.user.full_name}")
    return render(request, "web/receive.html", {"link": link, "qr": mark_safe(qr)})


def pay_link(request, public_id):
    """/pay/<_id>: the send page for this person, after signing in if needed."""
    send = f"{reverse('send')}?{urlencode({'id': str(public_id)})}"
    if not request.user.is_authenticated:
        return redirect(f"{reverse('signin')}?{urlencode({'next': send})}")
    return redirect(send)
