from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from users.selectors import user_for_token


class BearerTokenAuthentication(JWTAuthentication):
    """SimpleJWT access tokens, answered with 403 (the contract) rather than 401.

    DRF sends 401 only when the first authenticator names a WWW-Authenticate scheme;
    by naming none, every missing or bad token becomes 403 with a `message`.
    """

    def authenticate_header(self, request):
        return None

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
        return user
