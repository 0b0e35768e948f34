"""Writes about people: sign-up (with the wallet and its grant), sign-in, tokens, profile."""

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import Account
from accounts.services import account_open_with_grant
from accounts.stores.errors import UniqueViolation
from core.errors import ServiceError
from core.replicas import pin_to_primary
from core.text import clean_name
from users.exceptions import (
    MESSAGE_EMAIL_TAKEN,
    MESSAGE_INVALID_NAME,
    SigninFailed,
    SignoutIncomplete,
    SignupRejected,
    TokenRejected,
    UpdateRejected,
)
from users.models import NAME_MAX_LENGTH, User, normalize_email
from users.stores import people_store
from users.tokens import token_is_current


def user_signout(*, user: User, refresh: str | None = None, everywhere: bool = False) -> None:
    """`refresh` (one of the caller's refresh tokens) can no longer refresh; `everywhere`
    refuses every token of the caller issued before now, access tokens included. Asking for
    neither would end nothing while a client believed it signed out: SignoutIncomplete."""
    if not refresh and not everywhere:
        raise SignoutIncomplete()
    if refresh:
        people_store().revoke_refresh_token(_own_refresh_token(user, refresh))
    if everywhere:
        User.objects.filter(pk=user.pk).update(token_generation=F("token_generation") + 1)


def _own_refresh_token(user: User, raw: str) -> RefreshToken:
    """The caller's own refresh token, its signature and expiry verified; anything else is
    TokenRejected. (Already revoked is fine: signing out twice is signing out.)"""
    try:
        payload = token_backend.decode(raw, verify=True)
    except TokenBackendError:
        raise TokenRejected() from None
    if payload.get(jwt_settings.TOKEN_TYPE_CLAIM) != "refresh":
        raise TokenRejected()
    if payload.get(jwt_settings.USER_ID_CLAIM) != str(getattr(user, jwt_settings.USER_ID_FIELD)):
        raise TokenRejected()
    return RefreshToken(raw, verify=False)


def clean_names(error: type[ServiceError], **names) -> dict[str, str]:
    """The names (firstName=…, lastName=…) by the one rule for names, or `error` naming each
    field that breaks it. The API's serializers and the pages' forms apply the same rule
    first, to show it beside the field; this is where it is enforced."""
    cleaned = {field: clean_name(value) for field, value in names.items() if value is not None}
    bad = {
        field: [MESSAGE_INVALID_NAME] for field, name in cleaned.items() if name is None or len(name) > NAME_MAX_LENGTH
    }
    if bad:
        raise error(errors=bad)
    return cleaned


def user_signup(*, email: str, first_name: str, last_name: str, password: str, grant: int | None = None) -> User:
    """Create the person, their wallet and its starting grant in one transaction."""
    names = clean_names(SignupRejected, firstName=first_name, lastName=last_name)
    user = User(email=normalize_email(email), first_name=names["firstName"], last_name=names["lastName"])
    try:
        validate_password(password, user=user)
    except DjangoValidationError as error:
        raise SignupRejected(errors={"password": list(error.messages)}) from None
    user.set_password(password)  # hashing is slow: do it before any lock is taken
    if User.objects.filter(email=user.email).exists():
        raise SignupRejected(errors={"username": [MESSAGE_EMAIL_TAKEN]})

    try:
        account_open_with_grant(user=user, grant=grant)
    except UniqueViolation as violation:
        if violation.fields != {"email"}:
            raise  # any other clash is a bug, not the person's mistake: a 500, logged
        # Two sign-ups with one email raced; the unique index let exactly one in.
        raise SignupRejected(errors={"username": [MESSAGE_EMAIL_TAKEN]}) from None
    pin_to_primary(user.pk)  # their first history shows the grant (read-your-writes)
    return user


def user_signin(*, email: str, password: str, request=None) -> User:
    """A wallet holder whose email and password match. Operators (staff, no wallet) sign in
    to the console only: here they fail as any wrong sign-in does, revealing nothing."""
    user = authenticate(request, email=normalize_email(email), password=password)
    if user is None or not holds_wallet(user):
        raise SigninFailed()
    return user


def holds_wallet(user: User) -> bool:
    return Account.objects.filter(user=user, kind=Account.Kind.USER).exists()


def user_update(
    *, user: User, first_name: str | None = None, last_name: str | None = None, password: str | None = None
) -> User:
    """Change names and/or password; a new password retires every earlier token."""
    names = clean_names(UpdateRejected, firstName=first_name, lastName=last_name)
    changed = []
    if "firstName" in names:
        user.first_name = names["firstName"]
        changed.append("first_name")
    if "lastName" in names:
        user.last_name = names["lastName"]
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
        pin_to_primary(user.pk)  # read-your-writes
    return user


def access_token_refresh(*, refresh: str) -> dict:
    """`{token, refresh}`: a fresh access token and, with SimpleJWT's ROTATE_REFRESH_TOKENS, a
    new refresh token, for a valid refresh token of an active wallet holder whose password
    has not changed since it was issued. With BLACKLIST_AFTER_ROTATION the token given is
    revoked, and only the first of two refreshes racing with it gets through. Anything else
    is TokenRejected (403)."""
    try:
        token = RefreshToken(refresh)
    except TokenError:
        raise TokenRejected() from None
    user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: token.get(jwt_settings.USER_ID_CLAIM)}).first()
    if user is None or not user.is_active or not holds_wallet(user):
        raise TokenRejected()
    if token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        raise TokenRejected()
    store = people_store()
    if not token_is_current(token, user) or store.refresh_token_revoked(token):
        raise TokenRejected()
    tokens = {"token": str(token.access_token)}
    if jwt_settings.ROTATE_REFRESH_TOKENS:
        if jwt_settings.BLACKLIST_AFTER_ROTATION and not store.revoke_refresh_token(token):
            raise TokenRejected()  # another refresh with this token got there first
        token.set_jti()
        token.set_exp()
        token.set_iat()
        tokens["refresh"] = str(token)
    return tokens
