"""People on SQL databases through the ORM (SQLite, and the base of PostgreSQL's): revoked
refresh tokens are SimpleJWT's blacklist app's (installed on SQL databases only)."""

from rest_framework_simplejwt.settings import api_settings as jwt_settings

from users.models import User


class OrmPeopleStore:
    def person_for_token(self, *, public_id):
        return User.objects.filter(public_id=public_id).first()

    def revoke_refresh_token(self, token) -> bool:
        _, revoked_now = token.blacklist()  # SimpleJWT's get_or_create on a unique link: one call wins
        return revoked_now

    def refresh_token_revoked(self, token) -> bool:
        # Imported here: the blacklist app's models exist only where the app is installed.
        from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

        return BlacklistedToken.objects.filter(token__jti=token[jwt_settings.JTI_CLAIM]).exists()
