import functools

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from users.selectors import user_for_token
from users.tokens import token_is_current

# Tokens whose signature and claims were verified by this process, by their exact bytes.
# A client sends the same token for up to an hour; re-verifying it on every request was
# a tenth of a transfer's CPU. Expiry is still checked on every use, and the person's
# state (active, password unchanged) is read from the database on every use.
VERIFIED_TOKENS_KEPT = 4096


class BearerTokenAuthentication(JWTAuthentication):
    """SimpleJWT access tokens, answered with 403 (the contract) rather than 401.

    DRF sends 401 only when the first authenticator names a WWW-Authenticate scheme;
    by naming none, every missing or bad token becomes 403 with a `message`.
    """

    def authenticate_header(self, request):
        return None

    def get_validated_token(self, raw_token):
        token = _verified_token(raw_token)
        try:
            token.check_exp(current_time=aware_utcnow())
        except TokenError as error:
            raise InvalidToken(
                {"detail": _("Given token not valid for any token type"), "messages": [str(error)]}
            ) from None
        return token

    def get_user(self, validated_token):
        """SimpleJWT's checks (the person exists, is active, and has not changed their
        password since the token was issued), on a user loaded by `user_for_token`, which
        also brings their wallet on PostgreSQL: one query per request instead of two."""
        try:
            public_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as error:
            raise InvalidToken(_("Token contained no recognizable user identification")) from error

        user = user_for_token(public_id=public_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        if not token_is_current(validated_token, user):
            raise AuthenticationFailed(_("The user has signed out everywhere."), code="signed_out")
        return user


class OptionalBearerTokenAuthentication(BearerTokenAuthentication):
    """For public endpoints that only use a token when it is good (search leaves its owner
    out): a missing, stale or bad token is no token, never a 403."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            return None


@functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def _verified_token(raw_token: bytes):
    """SimpleJWT's full verification, once per distinct token. Failures are not cached
    (lru_cache keeps only returned values), so a bad token is re-verified every time."""
    return JWTAuthentication().get_validated_token(raw_token)
