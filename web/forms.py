"""Forms of the pages. They only shape input; sign-up, sign-in and payments are done by
the same services the API calls."""

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from core.text import clean_name
from users.exceptions import MESSAGE_INVALID_NAME
from users.models import NAME_MAX_LENGTH, User, normalize_email
from users.serializers import PASSWORD_MAX_LENGTH


class NameField(forms.CharField):
    """A person's name, by the one rule for names the API applies too (core.text.clean_name)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=NAME_MAX_LENGTH, **kwargs)

    def clean(self, value):
        name = clean_name(super().clean(value))
        if name is None:
            raise ValidationError(MESSAGE_INVALID_NAME, code="invalid_name")
        return name


class SignupForm(forms.Form):
    first_name = NameField(label="First name")
    last_name = NameField(label="Last name")
    email = forms.EmailField(label="Email", max_length=254)
    password = forms.CharField(
        label="Password", max_length=PASSWORD_MAX_LENGTH, strip=False, widget=forms.PasswordInput(render_value=False)
    )

    def clean(self):
        """Report every problem at once: the password rules run even when the email is bad."""
        data = super().clean()
        if "password" in data:
            person = User(
                email=normalize_email(data.get("email", "")),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                validate_password(data["password"], user=person)
            except ValidationError as error:
                self.add_error("password", error)
        return data


class SigninForm(forms.Form):
    email = forms.CharField(label="Email", max_length=254)
    password = forms.CharField(
        label="Password", max_length=PASSWORD_MAX_LENGTH, strip=False, widget=forms.PasswordInput
    )


class SendForm(forms.Form):
    """Rupees as typed; accounts.money.parse_rupees decides what is a valid amount."""

    amount = forms.CharField(label="Amount (₹)", max_length=32)
    idempotency_key = forms.CharField(
        widget=forms.HiddenInput, validators=[RegexValidator(r"^[0-9a-f]{32}$", "This form is stale; please reload.")]
    )


class AskForm(forms.Form):
    """Ask someone for money: rupees as typed, a short note."""

    amount = forms.CharField(label="Amount (₹)", max_length=32)
    note = forms.CharField(label="Note (optional)", max_length=100, required=False)


class PayRequestForm(forms.Form):
    idempotency_key = forms.CharField(
        widget=forms.HiddenInput, validators=[RegexValidator(r"^[0-9a-f]{32}$", "This form is stale; please reload.")]
    )


class PeriodForm(forms.Form):
    """The days of a statement; accounts.statements decides what is a valid range."""

    # YYYY-MM-DD only (what a date input sends), as the API takes them.
    start = forms.DateField(
        label="From", required=False, input_formats=["%Y-%m-%d"], widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, input_formats=["%Y-%m-%d"], widget=forms.DateInput(attrs={"type": "date"})
    )


class NameForm(forms.Form):
    first_name = NameField(label="First name")
    last_name = NameField(label="Last name")
