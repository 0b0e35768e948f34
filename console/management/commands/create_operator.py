import getpass
import os

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from console.roles import ROLES
from users.models import User, normalize_email


class Command(BaseCommand):
    help = (
        "Create an operator (staff, no wallet) with roles, or give an existing operator more roles. "
        f"Roles: {', '.join(ROLES)}. The password comes from OPERATOR_PASSWORD or a prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--role", action="append", default=[], choices=list(ROLES), help="May be repeated.")
        parser.add_argument("--superuser", action="store_true", help="Every permission, deactivating people included.")
        parser.add_argument("--first-name", default="Operator")
        parser.add_argument("--last-name", default="")

    def handle(self, *args, email, role, superuser, first_name, last_name, **options):
        email = normalize_email(email)
        operator = User.objects.filter(email=email).first()
        if operator is not None and hasattr(operator, "account"):
            raise CommandError(f"{email} holds a wallet: operators are separate accounts without one")
        if operator is None:
            password = os.environ.get("OPERATOR_PASSWORD", "") or getpass.getpass(f"Password for {email}: ")
            try:
                validate_email(email)
                validate_password(password)
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
            operator = User.objects.create_user(
                email, password, first_name=first_name, last_name=last_name or "Operator", is_staff=True
            )
        operator.is_staff = True
        operator.is_superuser = operator.is_superuser or superuser
        operator.save(update_fields=["is_staff", "is_superuser"])
        operator.groups.add(*Group.objects.filter(name__in=role))
        roles = ", ".join(operator.groups.values_list("name", flat=True)) or "none"
        self.stdout.write(
            self.style.SUCCESS(f"{email}: operator{' (superuser)' if operator.is_superuser else ''}, roles: {roles}")
        )
