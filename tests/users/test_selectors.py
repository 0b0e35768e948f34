"""Reads about people (users/selectors.py): search, and the person a token names."""

import uuid

import pytest
from django.forms.models import model_to_dict

from accounts.exceptions import InvalidAccount
from accounts.selectors import balance_get
from accounts.services import transfer_create
from users.models import User
from users.selectors import user_for_token

BULK = "/api/v1/user/bulk"
pytestmark = pytest.mark.django_db


def names(response):
    return sorted(f"{row['firstName']} {row['lastName']}" for row in response.json()["users"])


def test_search_is_public_case_insensitive_substring_on_either_name(api, make_person):
    make_person("Priya", "Sharma"), make_person("Rahul", "Verma"), make_person("Arjun", "Sharmila")

    assert names(api.get(BULK, {"filter": "SHARM"})) == ["Arjun Sharmila", "Priya Sharma"]
    assert names(api.get(BULK, {"filter": "ahu"})) == ["Rahul Verma"]
    assert len(api.get(BULK).json()["users"]) == 3


def test_result_shape_has_both_keys_and_only_public_fields(api, make_person):
    person = make_person("Priya", "Sharma")
    body = api.get(BULK, {"filter": "priya"}).json()
    assert body["users"] == body["user"] == [{"_id": str(person.public_id), "firstName": "Priya", "lastName": "Sharma"}]
    text = api.get(BULK).content.decode()
    assert person.email not in text and "pbkdf2" not in text and "md5$" not in text and '"id"' not in text


def test_caller_is_left_out_when_authenticated(make_person, client_for):
    me, other = make_person("Priya", "One"), make_person("Priya", "Two")
    body = client_for(me).get(BULK, {"filter": "priya"}).json()
    assert [row["_id"] for row in body["users"]] == [str(other.public_id)]


@pytest.mark.parametrize("pattern", [".*", "%", "_", "P.iya", "^P", "[a-z]+", "' OR 1=1 --", "\\", "Priya%"])
def test_filter_is_taken_literally(api, make_person, pattern):
    make_person("Priya", "Sharma")
    assert api.get(BULK, {"filter": pattern}).json()["users"] == []


def test_literal_special_characters_match_themselves(api, make_person):
    make_person("Mary-Ann", "O'Neil"), make_person("Maryann", "Oneil")
    assert names(api.get(BULK, {"filter": "o'n"})) == ["Mary-Ann O'Neil"]
    assert names(api.get(BULK, {"filter": "y-a"})) == ["Mary-Ann O'Neil"]


def test_inactive_people_and_operators_are_not_listed(api, make_person):
    gone = make_person("Priya", "Gone")
    gone.is_active = False
    gone.save()
    User.objects.create_superuser("root@example.com", "operator pass 123", first_name="Priya", last_name="Admin")
    assert api.get(BULK, {"filter": "priya"}).json()["users"] == []


def test_limit_and_cursor_page_through_everyone_once(api, make_person):
    for index in range(7):
        make_person("Kiran", f"Person{index}")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"filter": "kiran", "limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api.get(BULK, params).json()
        seen += [row["_id"] for row in body["users"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize("limit, expected", [("2", 2), ("0", 1), ("-5", 1), ("abc", 20), ("1000", 25)])
def test_limit_is_clamped_never_an_error(api, make_person, limit, expected, settings):
    for index in range(25):
        make_person("Kiran", f"P{index}")
    response = api.get(BULK, {"limit": limit})
    assert response.status_code == 200
    assert len(response.json()["users"]) == min(expected, 100)


def test_nul_in_filter_is_just_no_match(api, make_person):
    make_person("Priya", "Sharma")
    response = api.get(BULK, {"filter": "pri\x00ya"})
    assert response.status_code == 200 and response.json()["users"] == []


# -- the person a token names (every request) -----------------------------------------------


def test_the_person_loaded_for_a_token_is_the_person_in_the_database(make_person):
    person = make_person("Asha", "Rao")
    loaded = user_for_token(public_id=str(person.public_id))

    stored = User.objects.get(pk=person.pk)
    assert model_to_dict(loaded) == model_to_dict(stored)
    assert loaded.password == stored.password and loaded.is_active and loaded.public_id == stored.public_id
    assert loaded.account.pk == stored.account.pk
    assert loaded.account.kind == stored.account.kind


@pytest.mark.parametrize("public_id", ["not-a-uuid", "", str(uuid.uuid4()), None])
def test_unknown_or_malformed_ids_load_nobody(make_person, public_id):
    make_person()
    assert user_for_token(public_id=public_id) is None


def test_an_operator_without_a_wallet_loads_without_one(db):
    operator = User.objects.create_superuser("ops@example.com", "operator pass 123", first_name="O", last_name="P")
    loaded = user_for_token(public_id=operator.public_id)
    assert loaded.pk == operator.pk
    assert balance_get(user=loaded) == 0
    with pytest.raises(InvalidAccount):
        transfer_create(sender=loaded, recipient_id=str(uuid.uuid4()), amount=100)


@pytest.mark.parametrize("header", ["Bearer junk", "Bearer a.b.c", "Basic dXNlcjpwYXNz", "Bearer"])
def test_public_search_ignores_a_bad_token(api, make_person, header):
    """Search is public: a stale or bad token is no token there (as at sign-in)."""
    make_person("Priya", "Sharma")
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get(BULK, {"filter": "priya"})
    assert response.status_code == 200 and names(response) == ["Priya Sharma"]


def test_search_with_a_good_token_still_leaves_its_owner_out(api, make_person, client_for):
    priya = make_person("Priya", "Sharma")
    make_person("Priya", "Verma")
    assert names(client_for(priya).get(BULK, {"filter": "priya"})) == ["Priya Verma"]
