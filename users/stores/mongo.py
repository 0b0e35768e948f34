"""People on MongoDB. SimpleJWT's blacklist app cannot run here (its models declare BigAutoField
keys), so revoked refresh tokens are kept in a collection of their own, which MongoDB empties
of expired ones by itself (a TTL index, mongo_migrations/accounts/0010)."""

from django.db import connection as default_connection
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import datetime_from_epoch

from users.stores.sql import OrmPeopleStore

TOKEN_REVOCATIONS = "token_revocations"


class MongoPeopleStore(OrmPeopleStore):
    def __init__(self, *, connection=None, database=None):
        self.connection = connection or default_connection
        self._database = database

    @property
    def database(self):
        if self._database is None:
            self.connection.ensure_connection()
            self._database = self.connection.database
        return self._database

    def revoke_refresh_token(self, token) -> bool:
        jti = token[jwt_settings.JTI_CLAIM]
        revoked = {
            "jti": jti,
            "user_id": token.get(jwt_settings.USER_ID_CLAIM),
            "expires_at": datetime_from_epoch(token["exp"]),
        }
        # An upsert on the unique jti: only the call that inserted it revoked it.
        result = self.database[TOKEN_REVOCATIONS].update_one({"jti": jti}, {"$setOnInsert": revoked}, upsert=True)
        return result.upserted_id is not None

    def refresh_token_revoked(self, token) -> bool:
        return self.database[TOKEN_REVOCATIONS].count_documents({"jti": token[jwt_settings.JTI_CLAIM]}, limit=1) > 0
