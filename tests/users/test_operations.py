"""Operators' actions on people (users/operations.py): deactivating and reactivating, audited."""

import pytest

from accounts.exceptions import OperationForbidden
from accounts.models import AuditEntry
from users.exceptions import PersonStateUnchanged
from users.operations import person_set_active

pytestmark = pytest.mark.django_db
BALANCE = "/api/v1/account/balance"


@pytest.fixture
def pair(make_person):
    return make_person("Asha", "Rao", grant=10_000), make_person("Bilal", "Khan", grant=5_000)


class TestDeactivation:
    def test_a_superuser_deactivates_and_reactivates_with_an_audit(self, pair, operator, client_for):
        asha, _ = pair
        root = operator(superuser=True)
        as_asha = client_for(asha)
        person_set_active(operator=root, person=asha, active=False, reason="account closed on request")
        assert as_asha.get(BALANCE).status_code == 403
        with pytest.raises(PersonStateUnchanged):
            person_set_active(operator=root, person=asha, active=False, reason="again")
        person_set_active(operator=root, person=asha, active=True, reason="reopened")
        assert as_asha.get(BALANCE).status_code == 200
        assert [e.action for e in AuditEntry.objects.order_by("created_at")] == ["deactivate", "reactivate"]

    def test_nobody_deactivates_themselves(self, operator):
        root = operator(superuser=True)
        with pytest.raises(OperationForbidden):
            person_set_active(operator=root, person=root, active=False, reason="oops")
