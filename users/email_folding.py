"""Folding the emails already stored to one form per mailbox (users.models.normalize_email),
for the data migrations of SQL and MongoDB alike."""

import logging

from users.models import normalize_email

logger = logging.getLogger(__name__)


def fold_stored_emails(apps, schema_editor):
    """Each email to its folded form, oldest account first. When two accounts fold to one
    address, the oldest takes it and the later ones keep their address as it was (written
    to the log for an operator to settle): no account is merged or lost by a migration."""
    User = apps.get_model("users", "User")
    taken = set(User.objects.values_list("email", flat=True))
    for pk, email in User.objects.order_by("date_joined", "pk").values_list("pk", "email"):
        folded = normalize_email(email)
        if folded == email:
            continue
        if folded in taken:
            logger.warning("email %s of person %s folds to one already taken; left as it is", email, pk)
            continue
        User.objects.filter(pk=pk).update(email=folded)
        taken.discard(email)
        taken.add(folded)
