"""Operators for the console's tests: signed-in test clients with roles, and a small ledger."""

import pytest

from accounts.models import Transfer
from accounts.services import transfer_create


@pytest.fixture
def operator_client(client, operator):
    """operator_client("Finance") -> (Django test client signed in as that operator, operator)."""

    def make(*roles, superuser=False):
        user = operator(*roles, superuser=superuser)
        client.force_login(user)
        return client, user

    return make


@pytest.fixture
def ledger(make_person):
    asha, bilal = make_person("Asha", "Rao", grant=10_000), make_person("Bilal", "Khan", grant=5_000)
    receipt = transfer_create(sender=asha, recipient_id=str(bilal.public_id), amount=1_234)
    return asha, bilal, Transfer.objects.get(public_id=receipt.transfer_id)


@pytest.fixture
def superuser_client(operator_client):
    """A test client signed in as a superuser (every permission), for pages every role sees."""
    client, _ = operator_client(superuser=True)
    return client
