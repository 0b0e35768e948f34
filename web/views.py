"""The pages: thin views over the same services and selectors as the API.

Session login with CSRF protection. Errors come from the services' own exceptions: a page
shows the words web/wording.py has for the error's code beside the field it names, or above
the form, with the exception's status. An outage keeps the form as it was, to be sent again.
Every payment goes through accounts.services.transfer_create with an idempotency key minted
when the form is shown, so a double-clicked "Send" or a resubmitted confirmation replays the
first answer instead of paying twice."""

import uuid

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import dateformat
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.exceptions import InsufficientBalance
from accounts.money import format_inr, parse_rupees
from accounts.selectors import balance_get, payable_person, transactions_list, wallet_is_frozen
from accounts.services import transfer_create
from core.clock import in_india
from core.errors import ServiceError, Unavailable
from core.middleware import PAGE_UNAVAILABLE
from users.selectors import user_search
from users.services import user_signin, user_signup
from web.forms import SendForm, SigninForm, SignupForm
from web.wording import MESSAGE_UNKNOWN_RECIPIENT, field_of, page_message

MESSAGE_PAY_YOURSELF = "You can't send money to yourself."
RECENT_TRANSACTIONS = 10
SIGNUP_FIELDS = {"username": "email", "password": "password", "firstName": "first_name", "lastName": "last_name"}


def home(request):
    return redirect("dashboard" if request.user.is_authenticated else "signin")


def show_error(form, error: ServiceError, field_names: dict | None = None) -> int:
    """Put a service error on `form`: its per-field details beside their fields (named as
    the API names them, mapped by `field_names`), else its message beside the field it is
    about, else above the form. Returns the page's status."""
    field_names = field_names or {}
    for name, problems in error.errors.items():
        field = field_names.get(name, name)
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
    if not error.errors:
        field = field_of(error)
        form.add_error(field if field in form.fields else None, page_message(error))
    return 400 if error.status_code == 411 else error.status_code  # 411 is the old API's "rejected"


@require_http_methods(["GET", "POST"])
def signup_page(request):
    form = SignupForm(request.POST or None)  # a POST here is a password attempt: users/middleware.py
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_signup(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password"],
            )
        except ServiceError as error:
            return render(request, "web/signup.html", {"form": form}, status=show_error(form, error, SIGNUP_FIELDS))
        login(request, user, backend="users.backends.ThrottledModelBackend")
        messages.success(request, f"Welcome, {user.first_name}! Your wallet is ready.")
        return redirect("dashboard")
    return render(request, "web/signup.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def signin_page(request):
    form = SigninForm(request.POST or None)  # a POST here is a password attempt: users/middleware.py
    if request.method == "POST" and form.is_valid():
        try:
            user = user_signin(
                email=form.cleaned_data["email"], password=form.cleaned_data["password"], request=request
            )
        except ServiceError as error:
            return render(request, "web/signin.html", {"form": form}, status=show_error(form, error))
        login(request, user)
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "dashboard"
        return redirect(target)
    return render(request, "web/signin.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
def signout(request):
    logout(request)
    messages.info(request, "You have signed out.")
    return redirect("signin")


@login_required
def dashboard(request):
    query = request.GET.get("filter", "")
    return render(
        request,
        "web/dashboard.html",
        {
            "balance": balance_get(user=request.user),
            "people": user_search(query=query, exclude=request.user).items,
            "query": query,
            "transactions": transactions_list(user=request.user, limit=RECENT_TRANSACTIONS).items,
            "frozen": wallet_is_frozen(user=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def send_page(request):
    """Amount, then a confirmation, then the dashboard with the result. The amount step
    already refuses more than the balance; the confirmation decides under the lock."""
    recipient = payable_person(request.GET.get("id", ""))
    context = {"recipient": recipient, "balance": balance_get(user=request.user)}
    if recipient is None:
        return render(request, "web/send.html", {**context, "page_error": MESSAGE_UNKNOWN_RECIPIENT}, status=404)
    if recipient.pk == request.user.pk:
        return render(request, "web/send.html", {**context, "page_error": MESSAGE_PAY_YOURSELF}, status=400)
    if request.method == "GET":
        return render(request, "web/send.html", {**context, "form": _fresh_send_form()})

    form = SendForm(request.POST)
    if not form.is_valid():
        return render(request, "web/send.html", {**context, "form": form}, status=400)
    try:
        amount = parse_rupees(form.cleaned_data["amount"])
        if amount > context["balance"]:
            raise InsufficientBalance()
    except ServiceError as error:
        status = show_error(form, error)
        return render(request, "web/send.html", {**context, "form": form}, status=status)
    if request.POST.get("step") != "confirm":
        return render(request, "web/send.html", {**context, "form": form, "confirm": True, "amount": amount})

    try:
        receipt = transfer_create(
            sender=request.user,
            recipient_id=str(recipient.public_id),
            amount=amount,
            idempotency_key=f"web-{form.cleaned_data['idempotency_key']}",
        )
    except Unavailable:
        # The outcome is unknown: keep the confirmation and its key, so that a retry replays
        # the payment if it did go through instead of paying again.
        form.add_error(None, PAGE_UNAVAILABLE)
        return render(
            request, "web/send.html", {**context, "form": form, "confirm": True, "amount": amount}, status=503
        )
    except ServiceError as error:
        return _send_refused(request, context, form, amount, error)
    if receipt.replayed:
        when = dateformat.format(in_india(receipt.created_at), "j M Y \\a\\t H:i")
        messages.info(
            request,
            f"Already sent: {format_inr(amount)} to {recipient.full_name} on {when}. Nothing more was sent.",
        )
    else:
        balance = format_inr(receipt.sender_balance)
        messages.success(request, f"Sent {format_inr(amount)} to {recipient.full_name}. Your balance is {balance}.")
    return redirect("dashboard")


def _send_refused(request, context, form, amount, error: ServiceError):
    """The key's outcome is final: a new attempt needs a new key."""
    fresh = _fresh_send_form(amount=form.cleaned_data["amount"])
    status = show_error(fresh, error)
    if field_of(error) is None:
        return render(
            request, "web/send.html", {**context, "page_error": page_message(error), "retry": True}, status=status
        )
    return render(request, "web/send.html", {**context, "form": fresh}, status=status)


def _fresh_send_form(amount: str | None = None) -> SendForm:
    """A form with a new idempotency key: empty, or holding the amount just tried (bound and
    cleaned, so that an error can be shown beside the amount)."""
    if amount is None:
        return SendForm(initial={"idempotency_key": uuid.uuid4().hex})
    form = SendForm(data={"idempotency_key": uuid.uuid4().hex, "amount": amount})
    form.is_valid()
    return form
