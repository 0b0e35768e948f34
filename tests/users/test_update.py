import pytest

from accounts.models import Account
from tests.conftest import PASSWORD
from users.exceptions import MESSAGE_UPDATE_REJECTED
from users.models import User
from users.views import MESSAGE_UPDATE_SUCCESS

UPDATE = "/api/v1/user"
pytestmark = pytest.mark.django_db


def test_update_names(make_person, client_for):
    person = make_person("Old", "Name")
    response = client_for(person).put(UPDATE, {"firstName": " New ", "lastName": "Surname"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"message": MESSAGE_UPDATE_SUCCESS}
    person.refresh_from_db()
    assert (person.first_name, person.last_name) == ("New", "Surname")


def test_update_password_hashes_it(make_person, client_for):
    person = make_person()
    client_for(person).put(UPDATE, {"password": "another fine passphrase"}, format="json")
    person.refresh_from_db()
    assert person.check_password("another fine passphrase") and not person.check_password(PASSWORD)
    assert "another fine passphrase" not in person.password


@pytest.mark.parametrize(
    "attack",
    [
        {"balance": 999999},
        {"username": "evil@example.com"},
        {"email": "evil@example.com"},
        {"is_staff": True},
        {"isStaff": True},
        {"is_superuser": True},
        {"_id": "00000000-0000-0000-0000-000000000000"},
        {"public_id": "00000000-0000-0000-0000-000000000000"},
        {"firstName": "Fine", "is_active": False},
    ],
)
def test_mass_assignment_is_refused_and_changes_nothing(make_person, client_for, attack):
    person = make_person("Asha", "Rao")
    before = (User.objects.filter(pk=person.pk).values().get(), Account.objects.get(user=person).balance)

    response = client_for(person).put(UPDATE, attack, format="json")

    assert response.status_code == 411
    assert response.json()["message"] == MESSAGE_UPDATE_REJECTED
    after = (User.objects.filter(pk=person.pk).values().get(), Account.objects.get(user=person).balance)
    assert after == before


@pytest.mark.parametrize(
    "body", [{}, {"firstName": ""}, {"lastName": "y" * 51}, {"password": "123"}, {"password": "password"}]
)
def test_invalid_update_is_411(make_person, client_for, body):
    person = make_person("Asha", "Rao")
    response = client_for(person).put(UPDATE, body, format="json")
    assert response.status_code == 411
    person.refresh_from_db()
    assert person.first_name == "Asha" and person.check_password(PASSWORD)


def test_update_needs_a_token(api):
    response = api.put(UPDATE, {"firstName": "X"}, format="json")
    assert response.status_code == 403 and response.json()["message"]
