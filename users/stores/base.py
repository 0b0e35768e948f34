"""What `users` asks of a database beyond the ORM: the person an access token names, on every
request, and search by name (so each database answers them its fastest way), and refresh
tokens that were revoked."""

from typing import Protocol


class PeopleStore(Protocol):
    def person_for_token(self, *, public_id):
        """The person an access token names (with their wallet's identity where that is cheap), or None."""

    def search_people(self, *, alias: str, pattern: str, exclude_pk, offset: int, count: int) -> list[dict]:
        """Up to `count` people from `offset`, in sign-up order, whose wallets can be paid
        (Account.objects.payable) and whose first or last name contains `pattern` (taken
        literally, case-insensitively; "" matches everyone), leaving out `exclude_pk`: dicts
        of public_id, first_name and last_name, read on the database `alias`."""

    def revoke_refresh_token(self, token) -> bool:
        """This verified SimpleJWT refresh token can no longer refresh. True when this call
        revoked it, False when it already was (two revocations racing: exactly one is True)."""

    def refresh_token_revoked(self, token) -> bool: ...
