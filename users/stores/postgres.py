"""People on PostgreSQL: the person a token names in one prepared statement that also brings
their wallet's identity and balance (docs/PERFORMANCE.md), so neither a transfer nor a balance
request needs a second lookup of them; search in plain SQL (building the ORM's query cost more
CPU than PostgreSQL spent running it)."""

from django.db import connection, connections

from accounts.models import Account
from core.sql import fetch_one
from users.models import User
from users.stores.sql import OrmPeopleStore

# The person with the identity of their wallet (its id; the wallet's balance stays deferred,
# so anything reading it later reads it then), and apart from it, the balance as this
# statement read it, which only a request that reads nothing else may answer with
# (accounts/selectors.py, balance_for_request). Model.from_db takes values in field order.
USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
WALLET_FIELDS = [field.attname for field in Account._meta.concrete_fields if field.attname in {"id", "kind", "user_id"}]
PERSON_SQL = (
    f"SELECT {', '.join(f'u.{field.column}' for field in User._meta.concrete_fields)}, "
    f"{', '.join(f'a.{Account._meta.get_field(name).column}' for name in WALLET_FIELDS)}, "
    f"a.{Account._meta.get_field('balance').column} "
    f"FROM {User._meta.db_table} u LEFT JOIN {Account._meta.db_table} a ON a.user_id = u.id WHERE u.public_id = %s"
)

# Search: the ORM's query for OrmPeopleStore.search_people, written once. The conditions on
# the names are the ORM's own `icontains` (UPPER(...) LIKE UPPER(...)), which is what the
# trigram indexes are built on (users/migrations/0002_trigram_search_indexes.py).
_SEARCH = (
    f"SELECT u.public_id, u.first_name, u.last_name FROM {User._meta.db_table} u "
    f"JOIN {Account._meta.db_table} a ON a.user_id = u.id "
    "WHERE a.kind = %(user_kind)s AND NOT a.frozen AND u.is_active AND u.id <> %(exclude)s{names} "
    "ORDER BY u.id LIMIT %(count)s OFFSET %(offset)s"
)
SEARCH_SQL = _SEARCH.format(names="")
SEARCH_BY_NAME_SQL = _SEARCH.format(
    names=" AND (UPPER(u.first_name::text) LIKE UPPER(%(pattern)s) OR UPPER(u.last_name::text) LIKE UPPER(%(pattern)s))"
)
NOBODY = 0  # no person has primary key 0: "leave nobody out"


class PostgresPeopleStore(OrmPeopleStore):
    def person_for_token(self, *, public_id):
        """One query per request: the wallet's identity comes cached as `user.account` (its
        balance deferred), and the balance read with it as `user.balance_when_authenticated`."""
        row = fetch_one(PERSON_SQL, [public_id])
        if row is None:
            return None
        user = User.from_db(connection.alias, USER_FIELDS, row[: len(USER_FIELDS)])
        wallet_values, balance = row[len(USER_FIELDS) : -1], row[-1]
        user.balance_when_authenticated = balance or 0  # no wallet (operators): 0, as balance_get says
        wallet = None
        if wallet_values[0] is not None:  # LEFT JOIN: operators have no wallet
            wallet = Account.from_db(connection.alias, WALLET_FIELDS, wallet_values)
            Account.user.field.set_cached_value(wallet, user)
        User.account.related.set_cached_value(user, wallet)
        return user

    def search_people(self, *, alias: str, pattern: str, exclude_pk, offset: int, count: int) -> list[dict]:
        database = connections[alias]
        params = {
            "user_kind": Account.Kind.USER,
            "exclude": NOBODY if exclude_pk is None else exclude_pk,
            "count": count,
            "offset": offset,
            # Escaped as `icontains` escapes it (backslash, % and _): matched literally.
            "pattern": f"%{database.ops.prep_for_like_query(pattern)}%",
        }
        with database.cursor() as cursor:
            cursor.execute(SEARCH_BY_NAME_SQL if pattern else SEARCH_SQL, params)
            return [
                {"public_id": public_id, "first_name": first, "last_name": last}
                for public_id, first, last in cursor.fetchall()
            ]
