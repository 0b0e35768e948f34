"""`manage.py create_operator` (console/management/commands/create_operator.py)."""

from users.models import User


def test_an_operator_is_made_with_the_command_and_given_roles(db, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("OPERATOR_PASSWORD", "a long operator password")
    call_command("create_operator", "Priya@Example.com", "--role", "Support", "--role", "Approver")
    operator = User.objects.get(email="priya@example.com")
    assert operator.is_staff and not operator.is_superuser and not hasattr(operator, "account")
    assert sorted(operator.groups.values_list("name", flat=True)) == ["Approver", "Support"]
    assert operator.check_password("a long operator password")
