"""Reads about people. Search never exposes emails, passwords or internal ids."""

from django.db import connections

from core.ids import parse_public_id
from core.pagination import Page, offset_page
from core.replicas import read_on_replica
from users.models import User
from users.stores import people_store

SEARCH_DEFAULT_LIMIT = 20
SEARCH_MAX_LIMIT = 100


def user_search(*, query: str, exclude: User | None = None, offset: int = 0, limit: int = SEARCH_DEFAULT_LIMIT) -> Page:
    """People whose wallets can be paid (Account.objects.payable), whose first or last name
    contains `query`, case-insensitively.

    The filter is taken literally, never as a pattern, regex or SQL (each store binds it as
    a parameter, % and _ escaped). Rows are dicts of public fields only.

    Results come in sign-up order (as the original app's plain find() did). Matches are
    spread evenly along the primary key, so a common term stops after one page of rows
    and a rare one is served by the trigram indexes; ordering by name instead made
    PostgreSQL walk most of the table for names late in the alphabet.

    Read from a replica when one is healthy (core/replicas.py); `exclude` is the caller (the
    API and the pages leave them out of their own search), who reads the primary while
    pinned there by a change of their own."""
    if "\x00" in query:
        return Page(items=[], next_cursor=None)  # no name can hold NUL; PostgreSQL refuses it

    def read(alias: str) -> list[dict]:
        return people_store(connections[alias]).search_people(
            alias=alias,
            pattern=query,
            exclude_pk=None if exclude is None else exclude.pk,
            offset=offset,
            count=limit + 1,
        )

    rows = read_on_replica(read, for_user=exclude)
    return offset_page(rows, offset=offset, limit=limit)


def user_for_token(*, public_id) -> User | None:
    """The person an access token names, or None. Every API request starts here, so the
    store answers it its fastest way (on PostgreSQL, one query that also brings the wallet's
    id)."""
    key = parse_public_id(public_id)
    return None if key is None else people_store().person_for_token(public_id=key)
