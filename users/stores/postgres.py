"""People on PostgreSQL: the person a token names in one prepared statement that also brings
their wallet's identity (docs/PERFORMANCE.md), so a transfer needs no second lookup."""

from django.db import connection

from accounts.models import Account
from core.sql import fetch_one
from users.models import User
from users.stores.sql import OrmPeopleStore

# The person with the identity of their wallet (its id, never its balance, which is always
# read when asked for). Model.from_db takes values in the model's field order.
USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
WALLET_FIELDS = [field.attname for field in Account._meta.concrete_fields if field.attname in {"id", "kind", "user_id"}]
PERSON_SQL = (
    f"SELECT {', '.join(f'u.{field.column}' for field in User._meta.concrete_fields)}, "
    f"{', '.join(f'a.{Account._meta.get_field(name).column}' for name in WALLET_FIELDS)} "
    f"FROM {User._meta.db_table} u LEFT JOIN {Account._meta.db_table} a ON a.user_id = u.id WHERE u.public_id = %s"
)


class PostgresPeopleStore(OrmPeopleStore):
    def person_for_token(self, *, public_id):
        """One query per request: the wallet's identity comes cached as `user.account`; its
        balance stays deferred."""
        row = fetch_one(PERSON_SQL, [public_id])
        if row is None:
            return None
        user = User.from_db(connection.alias, USER_FIELDS, row[: len(USER_FIELDS)])
        wallet_values = row[len(USER_FIELDS) :]
        wallet = None
        if wallet_values[0] is not None:  # LEFT JOIN: operators have no wallet
            wallet = Account.from_db(connection.alias, WALLET_FIELDS, wallet_values)
            Account.user.field.set_cached_value(wallet, user)
        User.account.related.set_cached_value(user, wallet)
        return user
