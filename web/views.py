"""The pages: thin views over the same services and selectors as the API.

Session login with CSRF protection. Every payment goes through
accounts.services.transfer_create with an idempotency key minted when the form is shown,
so a double-clicked "Send" replays the first answer instead of paying twice."""

import uuid

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.exceptions import IdempotencyConflict, InsufficientBalance, InvalidAccount, InvalidAmount
from accounts.money import format_inr, parse_rupees
from accounts.selectors import balance_get, transactions_list
from accounts.services import transfer_create
from paytm_site.errors import ServiceUnavailable
from users.exceptions import SigninFailed, SignupRejected
from users.models import User
from users.selectors import user_search
from users.services import user_signin, user_signup
from users.throttling import AuthRateThrottle
from web.forms import SendForm, SigninForm, SignupForm

MESSAGE_THROTTLED = "Too many attempts from your network. Please wait a minute and try again."
MESSAGE_UNKNOWN_RECIPIENT = "This person can't receive money. Pick someone from your dashboard."
MESSAGE_PAY_YOURSELF = "You can't send money to yourself."
MESSAGE_FORM_REUSED = "This payment form was already used for a different payment. Please start again."
MESSAGE_UNAVAILABLE = "Payments are briefly unavailable. Nothing was sent; please try again in a moment."
MESSAGE_SIGNUP_UNAVAILABLE = "We can't create accounts right now. Please try again in a moment."
RECENT_TRANSACTIONS = 10
SIGNUP_FIELDS = {"username": "email", "password": "password", "firstName": "first_name", "lastName": "last_name"}


def home(request):
    return redirect("dashboard" if request.user.is_authenticated else "signin")


def _throttled(request) -> bool:
    return request.method == "POST" and not AuthRateThrottle().allow_request(request, None)


@require_http_methods(["GET", "POST"])
def signup_page(request):
    form = SignupForm(request.POST or None)
    if _throttled(request):
        form.add_error(None, MESSAGE_THROTTLED)
        return render(request, "web/signup.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_signup(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password"],
            )
        except SignupRejected as error:
            for field, problems in (error.errors or {None: [error.message]}).items():
                for problem in problems:
                    form.add_error(SIGNUP_FIELDS.get(field), problem)
        except ServiceUnavailable:
            form.add_error(None, MESSAGE_SIGNUP_UNAVAILABLE)
            return render(request, "web/signup.html", {"form": form}, status=503)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.first_name}! Your wallet is ready.")
            return redirect("dashboard")
    return render(request, "web/signup.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def signin_page(request):
    form = SigninForm(request.POST or None)
    if _throttled(request):
        form.add_error(None, MESSAGE_THROTTLED)
        return render(request, "web/signin.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_signin(
                email=form.cleaned_data["email"], password=form.cleaned_data["password"], request=request
            )
        except SigninFailed:
            form.add_error(None, "That email and password don't match an account.")
        else:
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
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def send_page(request):
    recipient = _recipient(request.GET.get("id", ""))
    context = {"recipient": recipient, "balance": balance_get(user=request.user)}
    if recipient is None:
        return render(request, "web/send.html", {**context, "page_error": MESSAGE_UNKNOWN_RECIPIENT}, status=404)
    if recipient.pk == request.user.pk:
        return render(request, "web/send.html", {**context, "page_error": MESSAGE_PAY_YOURSELF}, status=400)

    if request.method == "GET":
        form = SendForm(initial={"idempotency_key": uuid.uuid4().hex})
        return render(request, "web/send.html", {**context, "form": form})

    form = SendForm(request.POST)
    if not form.is_valid():
        return render(request, "web/send.html", {**context, "form": form}, status=400)
    try:
        amount = parse_rupees(form.cleaned_data["amount"])
    except InvalidAmount:
        form.add_error("amount", "Enter an amount from ₹0.01 to ₹10,00,000 with at most two decimals.")
        return render(request, "web/send.html", {**context, "form": form}, status=400)

    if request.POST.get("step") != "confirm":
        return render(request, "web/send.html", {**context, "form": form, "confirm": True, "amount": amount})

    try:
        receipt = transfer_create(
            sender=request.user,
            recipient_id=str(recipient.public_id),
            amount=amount,
            idempotency_key=f"web-{form.cleaned_data['idempotency_key']}",
        )
    except InsufficientBalance:
        form.add_error("amount", f"Insufficient balance: you have {format_inr(context['balance'])}.")
    except InvalidAccount:
        return render(request, "web/send.html", {**context, "page_error": MESSAGE_UNKNOWN_RECIPIENT}, status=400)
    except ServiceUnavailable:
        # Same key on the retry: if the payment did go through, it is replayed, not repeated.
        form.add_error(None, MESSAGE_UNAVAILABLE)
        return render(
            request, "web/send.html", {**context, "form": form, "confirm": True, "amount": amount}, status=503
        )
    except IdempotencyConflict:
        form = SendForm(initial={"idempotency_key": uuid.uuid4().hex, "amount": form.cleaned_data["amount"]})
        return render(
            request, "web/send.html", {**context, "form": form, "page_error": MESSAGE_FORM_REUSED}, status=422
        )
    else:
        messages.success(
            request,
            f"Sent {format_inr(amount)} to {recipient.full_name}. Your balance is {format_inr(receipt.sender_balance)}.",
        )
        return redirect("dashboard")
    return render(request, "web/send.html", {**context, "form": form}, status=400)


def _recipient(public_id: str) -> User | None:
    try:
        key = uuid.UUID(public_id)
    except (ValueError, AttributeError):
        return None
    return User.objects.filter(public_id=key, is_active=True, account__isnull=False).first()
