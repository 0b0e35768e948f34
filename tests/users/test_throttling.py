"""One allowance of password attempts per client address, shared by every door that checks a
password (users/throttling.py, users/middleware.py, users/backends.py): the API's sign-in and
sign-up, the pages' sign-in, sign-up and password change, the console's login and the browsable
API's login; for people and operators alike, the right password refused while over it."""

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
ALLOWED = 3
WRONG = "wrong password here"


@pytest.fixture
def throttled(settings, frozen_throttle_clock):
    settings.AUTH_THROTTLE_RATE = f"{ALLOWED}/min"


def admin_login(client, email, password):
    client.get("/admin/login/")
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password})


def api_auth_login(client, email, password):
    client.get("/api-auth/login/")
    return client.post("/api-auth/login/", {"username": email, "password": password})


DOORS = {
    "api sign-in": lambda client, email, password: client.post(
        "/api/v1/user/signin", {"username": email, "password": password}, content_type="application/json"
    ),
    "api sign-up": lambda client, email, password: client.post(
        "/api/v1/user/signup", {"username": email}, content_type="application/json"
    ),
    "page sign-in": lambda client, email, password: client.post("/signin", {"email": email, "password": password}),
    "page sign-up": lambda client, email, password: client.post("/signup", {"email": email, "password": password}),
    "console login": admin_login,
    "browsable API login": api_auth_login,
}


@pytest.mark.parametrize("spent_at", list(DOORS))
@pytest.mark.parametrize("tried_at", list(DOORS))
def test_every_door_shares_one_allowance(throttled, make_person, spent_at, tried_at):
    person = make_person(email="kabir@example.com")
    client = Client()
    for _ in range(ALLOWED):
        assert DOORS[spent_at](client, person.email, WRONG).status_code != 429
    refused = DOORS[tried_at](Client(), person.email, PASSWORD)  # the right password, another client
    assert refused.status_code == 429, (spent_at, tried_at, refused.status_code)


def test_the_right_password_gets_no_session_while_over_the_allowance(throttled, make_person, operator):
    person = make_person(email="kabir@example.com")
    staff = operator("Support")
    staff.set_password(PASSWORD)
    staff.save()
    for _ in range(ALLOWED):
        api_auth_login(Client(), person.email, WRONG)
    browsable = Client()
    assert api_auth_login(browsable, person.email, PASSWORD).status_code == 429
    assert browsable.get("/api/v1/user/me").status_code == 403  # no session came of it
    console = Client()
    assert admin_login(console, staff.email, PASSWORD).status_code == 429
    assert console.get("/admin/").status_code == 302  # still asked to log in


def test_the_password_change_of_the_profile_page_is_a_door_too(throttled, make_person):
    person = make_person()
    client = Client()
    client.force_login(person)
    form = {"form": "password", "old_password": WRONG, "new_password1": "a new pass 123!", "new_password2": "x"}
    for _ in range(ALLOWED):
        assert client.post("/profile", form).status_code == 400
    assert client.post("/profile", form).status_code == 429
    assert client.post("/profile", {"form": "name", "first_name": "Asha", "last_name": "Rao"}).status_code == 302


def test_djangos_authentication_itself_refuses_an_address_over_its_allowance(throttled, make_person):
    """A door nobody listed still cannot be used to keep guessing once the allowance is spent."""
    person = make_person(email="kabir@example.com")
    request = RequestFactory().post("/anywhere")
    assert authenticate(request, email=person.email, password=PASSWORD) == person
    for _ in range(ALLOWED + 1):
        Client().post("/signin", {"email": person.email, "password": WRONG})
    assert authenticate(request, email=person.email, password=PASSWORD) is None


def test_a_throttled_page_says_why_and_when_to_retry(throttled, make_person):
    person = make_person()
    for _ in range(ALLOWED):
        Client().post("/signin", {"email": person.email, "password": WRONG})
    refused = Client().post("/signin", {"email": person.email, "password": PASSWORD})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many attempts" in refused.content.decode()
