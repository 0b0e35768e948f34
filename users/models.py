"""People who hold a wallet, and operators.

Invariants: `email` is stored folded to one form (trimmed, NFKC, lowercased, the domain in
IDNA: `normalize_email`; a database CHECK enforces the lowercase), so its unique index makes
one mailbox one account, however its address is spelled. `public_id` is the only id that
leaves the service (`_id`, the token's `userId`); the integer primary key never does.
"""

import contextlib
import unicodedata
import uuid

import idna
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

NAME_MAX_LENGTH = 50


def normalize_email(email: str) -> str:
    """One form per mailbox: `Sam@ｘ.com`, an NFD spelling and `bücher.com` beside
    `xn--bcher-kva.com` are each the same address. NFKC folds compatibility characters
    (full-width letters) and composes accents; the domain is written in IDNA (punycode), as
    mail servers see it. A domain IDNA refuses stays as folded (the email validator refuses
    what is not an address)."""
    folded = unicodedata.normalize("NFKC", email).strip().lower()
    local, at, domain = folded.rpartition("@")
    if not at:
        return folded
    with contextlib.suppress(idna.IDNAError):
        domain = idna.encode(domain, uts46=True).decode("ascii")
    return f"{local}@{domain}"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email=normalize_email(username or ""))

    def create_user(self, email, password=None, **fields):
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        """Operators sign in to /admin/; they hold no wallet and never appear in search."""
        fields.update(is_staff=True, is_superuser=True)
        fields.setdefault("first_name", "Operator")
        fields.setdefault("last_name", "Admin")
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address", max_length=254, unique=True)
    first_name = models.CharField(max_length=NAME_MAX_LENGTH)
    last_name = models.CharField(max_length=NAME_MAX_LENGTH)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    token_generation = models.PositiveIntegerField(
        default=0, help_text="Raised by 'sign out everywhere': tokens of earlier generations are refused."
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = "person"
        verbose_name_plural = "people"
        permissions = [("deactivate_user", "Can deactivate and reactivate people")]
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lowercase"),
        ]
        # Name search: on PostgreSQL, migration 0002 adds trigram indexes for substring search.

    def __str__(self):
        return f"{self.full_name} <{self.email}>"

    def get_session_auth_hash(self):
        """Signing out everywhere ends web sessions too: a session is kept only while this hash
        is unchanged, and it changes with the token generation (as with the password). At
        generation 0 it is Django's own, so sessions from before this was added stay valid."""
        if not self.token_generation:
            return super().get_session_auth_hash()
        return salted_hmac(
            "users.User.get_session_auth_hash", f"{self.password}|{self.token_generation}", algorithm="sha256"
        ).hexdigest()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email or "")
