"""Search in plain SQL on PostgreSQL (PostgresPeopleStore.search_people) answers exactly what the
ORM's query (OrmPeopleStore.search_people, every other database's) answers: the same people in
the same order, for any names, filters, pages and caller, with frozen wallets, inactive people
and operators left out. And search's output serializer writes what its schema says."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account
from accounts.services import accounts_open_bulk
from users.models import User
from users.serializers import PersonSerializer
from users.stores import people_store
from users.stores.postgres import PostgresPeopleStore
from users.stores.sql import OrmPeopleStore

on_postgresql = pytest.mark.skipif(
    not isinstance(people_store(), PostgresPeopleStore), reason="plain SQL search is PostgreSQL's"
)

# Names and filters drawn from a small alphabet with LIKE's special characters and letters
# whose case folds differently, so filters often match and escaping is exercised.
ALPHABET = "aAbB%_\\'-. ßéÉ"
names = st.text(alphabet=ALPHABET, min_size=1, max_size=6)
filters = st.one_of(st.just(""), st.text(alphabet=ALPHABET, min_size=1, max_size=3))


@pytest.fixture
def people(db):
    """Forty people with names from ALPHABET, some frozen, some inactive, and an operator,
    made once per test (hypothesis runs its many examples against the same people)."""
    rng = random.Random(7)
    made = [
        User(
            email=f"search{n}@example.com",
            first_name="".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 6))),
            last_name="".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 6))),
            is_active=n % 9 != 4,
        )
        for n in range(40)
    ]
    accounts_open_bulk(users=made, grants=[100] * len(made))
    Account.objects.filter(user__in=made[::7]).update(frozen=True)
    User.objects.create_superuser("search-ops@example.com", "operator pass 123", first_name="a", last_name="b")
    return [person.pk for person in made]


@on_postgresql
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pattern=filters,
    exclude=st.one_of(st.none(), st.integers(0, 39)),
    offset=st.integers(0, 45),
    count=st.integers(1, 45),
)
def test_plain_sql_search_answers_what_the_orm_answers(people, pattern, exclude, offset, count):
    exclude_pk = None if exclude is None else people[exclude]
    asked = {"alias": "default", "pattern": pattern, "exclude_pk": exclude_pk, "offset": offset, "count": count}
    assert PostgresPeopleStore().search_people(**asked) == OrmPeopleStore().search_people(**asked)


@on_postgresql
def test_the_comparison_sees_matches_frozen_wallets_and_inactive_people(people):
    """The property above is not vacuous: with this data some filters match, and the frozen
    and inactive are among the people but never among the found."""
    everyone = OrmPeopleStore().search_people(alias="default", pattern="", exclude_pk=None, offset=0, count=100)
    found = {row["public_id"] for row in everyone}
    frozen = set(Account.objects.filter(frozen=True, user__pk__in=people).values_list("user__public_id", flat=True))
    inactive = set(User.objects.filter(pk__in=people, is_active=False).values_list("public_id", flat=True))
    assert frozen and inactive and len(found) > 20
    assert not found & (frozen | inactive)
    plain = PostgresPeopleStore().search_people(alias="default", pattern="a", exclude_pk=None, offset=0, count=100)
    assert 0 < len(plain) < len(everyone)


def test_the_person_serializer_writes_the_fields_its_schema_shows():
    row = {"public_id": "0b4c3f1e-2d5a-4e6f-8a9b-0c1d2e3f4a5b", "first_name": "Mary-Ann", "last_name": "O'Neil"}
    serializer = PersonSerializer()
    written = serializer.to_representation(row)
    assert list(written) == list(serializer.fields)
    assert written == {field.field_name: row[field.source] for field in serializer.fields.values()}
