"""MongoDB has no CHECK constraints (django-mongodb-backend drops them), so the database's own
guard of the ledger's invariants is a validator on each collection: the same rules as the
SQL constraints, as they stood when this migration was written (accounts/stores/mongo_validators.py)."""

from django.db import migrations

from accounts.stores.mongo_validators import apply_validators, remove_validators

VALIDATORS = {
    "accounts_account": {
        "$and": [
            {"$or": [{"kind": {"$ne": "user"}}, {"balance": {"$gte": 0}}]},
            {"$or": [{"kind": "user", "user_id": {"$ne": None}}, {"kind": {"$ne": "user"}, "user_id": None}]},
        ]
    },
    "accounts_transfer": {
        "$and": [
            {"amount": {"$gt": 0}},
            {"$expr": {"$ne": ["$sender_id", "$recipient_id"]}},
            {
                "$or": [
                    {"kind": "reversal", "reverses_id": {"$ne": None}},
                    {"kind": {"$ne": "reversal"}, "reverses_id": None},
                ]
            },
        ]
    },
    "accounts_ledgerentry": {"$and": [{"amount": {"$ne": 0}}]},
    "users_user": {"$and": [{"$expr": {"$eq": ["$email", {"$toLower": "$email"}]}}]},
    "accounts_idempotencyrecord": {
        "$and": [
            {
                "$or": [
                    {"error_code": "", "transfer_id": {"$ne": None}},
                    {"transfer_id": None, "error_code": {"$ne": ""}},
                ]
            }
        ]
    },
}


def forwards(apps, schema_editor):
    apply_validators(schema_editor.connection.database, VALIDATORS)


def backwards(apps, schema_editor):
    remove_validators(schema_editor.connection.database, VALIDATORS)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_frozen_wallets_movement_kinds_notes_reversals")]

    operations = [migrations.RunPython(forwards, backwards)]
