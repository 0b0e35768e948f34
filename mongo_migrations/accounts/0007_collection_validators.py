"""The collection validators again, now with the rules of adjustment proposals (amount
positive, posted only when approved, four eyes); collMod replaces each validator whole."""

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
    "accounts_adjustmentproposal": {
        "$and": [
            {"amount": {"$gt": 0}},
            {
                "$or": [
                    {"status": "approved", "transfer_id": {"$ne": None}},
                    {"status": {"$ne": "approved"}, "transfer_id": None},
                ]
            },
            {"$or": [{"decided_by_id": None}, {"$expr": {"$ne": ["$decided_by_id", "$proposed_by_id"]}}]},
        ]
    },
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
    dependencies = [("accounts", "0006_operator_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
