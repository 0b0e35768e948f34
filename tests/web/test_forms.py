"""The pages' forms (web/forms.py) take names by the same rule as the API (core.text.clean_name)."""

import pytest

from tests.conftest import PASSWORD
from users.models import User

pytestmark = pytest.mark.django_db
BAD = ["Evil\x1b[31mRed\x07", "Line\r\nBreak", "Tab\there\x08", "\u200b", "\u3164", "A\u202eB"]


@pytest.mark.parametrize("name", BAD)
def test_the_signup_page_refuses_names_the_api_refuses(client, name):
    form = {"first_name": name, "last_name": "Rao", "email": "page@example.com", "password": PASSWORD}
    response = client.post("/signup", form)
    assert response.status_code == 400
    assert not User.objects.filter(email="page@example.com").exists()


@pytest.mark.parametrize("name", BAD)
def test_the_profile_page_refuses_them_too(client, make_person, name):
    person = make_person()
    client.force_login(person)
    response = client.post("/profile", {"form": "name", "first_name": name, "last_name": "Rao"})
    assert response.status_code == 400
    assert User.objects.get(pk=person.pk).first_name == person.first_name


def test_the_pages_store_names_as_the_api_does(client):
    form = {"first_name": " Zoe\u0308 ", "last_name": "Rao", "email": "page@example.com", "password": PASSWORD}
    assert client.post("/signup", form).status_code == 302
    assert User.objects.get(email="page@example.com").first_name == "Zoë"
