"""People on SQL databases through the ORM (SQLite, and the base of PostgreSQL's): revoked
refresh tokens are SimpleJWT's blacklist app's (installed on SQL databases only)."""

from django.db.models import Q
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts.models import Account
from users.models import User


class OrmPeopleStore:
    def person_for_token(self, *, public_id):
        return User.objects.filter(public_id=public_id).first()

    def search_people(self, *, alias: str, pattern: str, exclude_pk, offset: int, count: int) -> list[dict]:
        # `icontains` escapes % and _ and binds the text as a parameter: never a pattern.
        people = User.objects.using(alias).filter(account__in=Account.objects.payable())
        if pattern:
            people = people.filter(Q(first_name__icontains=pattern) | Q(last_name__icontains=pattern))
        if exclude_pk is not None:
            people = people.exclude(pk=exclude_pk)
        return list(people.order_by("pk").values("public_id", "first_name", "last_name")[offset : offset + count])

    def revoke_refresh_token(self, token) -> bool:
        _, revoked_now = token.blacklist()  # SimpleJWT's get_or_create on a unique link: one call wins
        return revoked_now

    def refresh_token_revoked(self, token) -> bool:
        # Imported here: the blacklist app's models exist only where the app is installed.
        from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

        return BlacklistedToken.objects.filter(token__jti=token[jwt_settings.JTI_CLAIM]).exists()
