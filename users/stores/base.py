"""What `users` asks of a database beyond the ORM: the person an access token names, on every
request (so each database answers it its fastest way), and refresh tokens that were revoked."""

from typing import Protocol


class PeopleStore(Protocol):
    def person_for_token(self, *, public_id):
        """The person an access token names (with their wallet's identity where that is cheap), or None."""

    def revoke_refresh_token(self, token) -> bool:
        """This verified SimpleJWT refresh token can no longer refresh. True when this call
        revoked it, False when it already was (two revocations racing: exactly one is True)."""

    def refresh_token_revoked(self, token) -> bool: ...
