"""Emails folded to one form per mailbox (NFKC, the domain in IDNA): see users.models.normalize_email."""

from django.db import migrations

from users.email_folding import fold_stored_emails


class Migration(migrations.Migration):
    dependencies = [("users", "0004_money_requests_and_sign_out")]
    operations = [migrations.RunPython(fold_stored_emails, migrations.RunPython.noop)]
