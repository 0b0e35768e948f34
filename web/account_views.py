"""The person's own account pages: history (the statement, paged, with a CSV download) and
profile (name, password, sign out everywhere)."""

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from accounts.exceptions import InvalidDateRange
from accounts.statements import period_entries, statement_get, statement_period
from core.errors import ServiceError
from users.services import user_signout, user_update
from web.forms import NameForm, PeriodForm
from web.views import show_error

HISTORY_PAGE = 20


@login_required
def history_page(request):
    """The whole statement of a period (this month unless chosen), newest first, paged."""
    form = PeriodForm(request.GET or None)
    try:
        if form.is_bound and not form.is_valid():
            raise InvalidDateRange()  # not YYYY-MM-DD, or no such day: the same words as a bad range
        start, end = (form.cleaned_data["start"], form.cleaned_data["end"]) if form.is_bound else (None, None)
        first, last = statement_period(start and start.isoformat(), end and end.isoformat())
    except ServiceError as error:
        status = show_error(form, error)
        return render(request, "web/history.html", {"form": form, "entries": None}, status=status)
    statement = statement_get(user=request.user, first_day=first, last_day=last)
    newest_first = period_entries(user=request.user, first_day=first, last_day=last).order_by("-pk")
    page = Paginator(newest_first, HISTORY_PAGE).get_page(request.GET.get("page"))
    period = {"from": first.isoformat(), "to": last.isoformat()}
    return render(
        request,
        "web/history.html",
        {
            "form": PeriodForm(initial={"start": first, "end": last}),
            "statement": statement,
            "entries": page,
            "period_query": urlencode({"start": first.isoformat(), "end": last.isoformat()}),
            "csv_url": f"/api/v1/account/statement?{urlencode({**period, 'format': 'csv'})}",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_page(request):
    name_form = NameForm(initial={"first_name": request.user.first_name, "last_name": request.user.last_name})
    password_form = PasswordChangeForm(request.user)
    status = 200
    if request.method == "POST" and request.POST.get("form") == "name":
        name_form = NameForm(request.POST)
        if name_form.is_valid():
            data = name_form.cleaned_data
            user_update(user=request.user, first_name=data["first_name"].strip(), last_name=data["last_name"].strip())
            messages.success(request, "Your name is updated.")
            return redirect("profile")
        status = 400
    if request.method == "POST" and request.POST.get("form") == "password":
        password_form = PasswordChangeForm(request.user, request.POST)
        if password_form.is_valid():
            try:
                user_update(user=request.user, password=password_form.cleaned_data["new_password1"])
            except ServiceError as error:
                status = show_error(password_form, error, {"password": "new_password1"})
            else:
                update_session_auth_hash(request, request.user)  # this browser stays signed in
                messages.success(
                    request, "Your password is changed. Apps signed in with the old one must sign in again."
                )
                return redirect("profile")
        else:
            status = 400
    return render(request, "web/profile.html", {"name_form": name_form, "password_form": password_form}, status=status)


@login_required
@require_POST
def sign_out_everywhere(request):
    """Every token and every session of this person ends, this browser's included."""
    user_signout(user=request.user, everywhere=True)
    logout(request)
    messages.info(request, "You are signed out everywhere: on every device, app and browser.")
    return redirect("signin")
