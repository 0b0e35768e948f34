"""Reads about people. Search never exposes emails, passwords or internal ids."""

import uuid

from django.db import connection
from django.db.models import Q

from accounts.models import Account
from accounts.selectors import Page
from paytm_site.sql import fetch_one
from users.models import User

SEARCH_DEFAULT_LIMIT = 20
SEARCH_MAX_LIMIT = 100


def user_search(*, query: str, exclude: User | None = None, offset: int = 0, limit: int = SEARCH_DEFAULT_LIMIT) -> Page:
    """Active wallet holders whose first or last name contains `query`, case-insensitively.

    `icontains` escapes % and _ and binds the text as a parameter: the filter is taken
    literally, never as a pattern, regex or SQL. Rows are dicts of public fields only.

    Results come in sign-up order (as the original app's plain find() did). Matches are
    spread evenly along the primary key, so a common term stops after one page of rows
    and a rare one is served by the trigram indexes; ordering by name instead made
    PostgreSQL walk most of the table for names late in the alphabet."""
    people = User.objects.filter(is_active=True, account__isnull=False)
    if "\x00" in query:
        return Page(items=[], next_cursor=None)  # no name can hold NUL; PostgreSQL refuses it
    if query:
        people = people.filter(Q(first_name__icontains=query) | Q(last_name__icontains=query))
    if exclude is not None:
        people = people.exclude(pk=exclude.pk)
    rows = list(people.order_by("pk").values("public_id", "first_name", "last_name")[offset : offset + limit + 1])
    next_offset = str(offset + limit) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_offset)


def user_for_token(*, public_id) -> User | None:
    """The person an access token names, or None. Every API request starts here.

    On PostgreSQL the identity of their wallet (its id, never its balance) comes in the
    same query and is cached as `user.account`, so a transfer needs no second lookup of the
    sender. The balance stays deferred: reading it always goes to the database. Elsewhere
    the wallet loads on first use."""
    try:
        key = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except ValueError:
        return None
    if connection.vendor == "postgresql":
        return _user_with_wallet_postgres(key)
    return User.objects.filter(public_id=key).first()


# Plain SQL (see paytm_site/sql.py), built once from the models so it follows them.
_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
# What never changes about a wallet. The balance is left deferred. Model.from_db takes
# values in the model's field order whatever the order of the names, hence this order.
_WALLET_FIELDS = [
    field.attname for field in Account._meta.concrete_fields if field.attname in {"id", "kind", "user_id"}
]
_USER_WITH_WALLET_SQL = (
    f"SELECT {', '.join(f'u.{field.column}' for field in User._meta.concrete_fields)}, "
    f"{', '.join(f'a.{Account._meta.get_field(name).column}' for name in _WALLET_FIELDS)} "
    f"FROM {User._meta.db_table} u LEFT JOIN {Account._meta.db_table} a ON a.user_id = u.id "
    f"WHERE u.public_id = %s"
)


def _user_with_wallet_postgres(public_id: uuid.UUID) -> User | None:
    row = fetch_one(_USER_WITH_WALLET_SQL, [public_id])
    if row is None:
        return None
    user = User.from_db(connection.alias, _USER_FIELDS, row[: len(_USER_FIELDS)])
    wallet_values = row[len(_USER_FIELDS) :]
    wallet = None
    if wallet_values[0] is not None:  # LEFT JOIN: operators have no wallet
        wallet = Account.from_db(connection.alias, _WALLET_FIELDS, wallet_values)
        Account.user.field.set_cached_value(wallet, user)
    User.account.related.set_cached_value(user, wallet)
    return user
