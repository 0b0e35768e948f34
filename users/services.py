"""Writes about people: sign-up (with the wallet and its grant), sign-in, tokens, profile."""

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.services import account_open_with_grant
from accounts.stores.base import UniqueViolation
from users.exceptions import MESSAGE_EMAIL_TAKEN, SigninFailed, SignupRejected, TokenRejected, UpdateRejected
from users.models import User, normalize_email


def tokens_for(user: User) -> dict:
    refresh = RefreshToken.for_user(user)
    return {"token": str(refresh.access_token), "refresh": str(refresh)}


def user_signup(*, email: str, first_name: str, last_name: str, password: str, grant: int | None = None) -> User:
    """Create the person, their wallet and its starting grant in one transaction."""
    user = User(email=normalize_email(email), first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user=user)
    except DjangoValidationError as error:
        raise SignupRejected(errors={"password": list(error.messages)}) from None
    user.set_password(password)  # hashing is slow: do it before any lock is taken
    if User.objects.filter(email=user.email).exists():
        raise SignupRejected(errors={"username": [MESSAGE_EMAIL_TAKEN]})

    try:
        return account_open_with_grant(user=user, grant=grant)
    except UniqueViolation as violation:
        if violation.fields != {"email"}:
            raise  # any other clash is a bug, not the person's mistake: a 500, logged
        # Two sign-ups with one email raced; the unique index let exactly one in.
        raise SignupRejected(errors={"username": [MESSAGE_EMAIL_TAKEN]}) from None


def user_signin(*, email: str, password: str, request=None) -> User:
    user = authenticate(request, email=normalize_email(email), password=password)
    if user is None:
        raise SigninFailed()
    return user


def user_update(
    *, user: User, first_name: str | None = None, last_name: str | None = None, password: str | None = None
) -> User:
    """Change names and/or password; a new password retires every earlier token."""
    changed = []
    if first_name is not None:
        user.first_name = first_name
        changed.append("first_name")
    if last_name is not None:
        user.last_name = last_name
        changed.append("last_name")
    if password is not None:
        try:
            validate_password(password, user=user)
        except DjangoValidationError as error:
            raise UpdateRejected(errors={"password": list(error.messages)}) from None
        user.set_password(password)
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
    return user


def access_token_refresh(*, refresh: str) -> str:
    """A fresh access token for a valid refresh token of an active user whose password has
    not changed since the token was issued; anything else is TokenRejected (403)."""
    try:
        token = RefreshToken(refresh)
    except TokenError:
        raise TokenRejected() from None
    user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: token.get(jwt_settings.USER_ID_CLAIM)}).first()
    if user is None or not user.is_active:
        raise TokenRejected()
    if token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        raise TokenRejected()
    return str(token.access_token)
