"""The collection validators again, now with the rules of money requests; and the collection
of revoked refresh tokens (accounts/stores/mongo.py): unique by token id, and removed by
MongoDB itself once a token has expired anyway (a TTL index)."""

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
    "accounts_moneyrequest": {
        "$and": [
            {"amount": {"$gt": 0}},
            {"$expr": {"$ne": ["$requester_id", "$payer_id"]}},
            {
                "$or": [
                    {"status": "paid", "transfer_id": {"$ne": None}},
                    {"status": {"$ne": "paid"}, "transfer_id": None},
                ]
            },
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
REVOCATIONS = "token_revocations"


def forwards(apps, schema_editor):
    database = schema_editor.connection.database
    apply_validators(database, VALIDATORS)
    revocations = database[REVOCATIONS]
    revocations.create_index("jti", unique=True, name="token_revocation_jti")
    revocations.create_index("expires_at", expireAfterSeconds=0, name="token_revocation_expiry")


def backwards(apps, schema_editor):
    remove_validators(schema_editor.connection.database, VALIDATORS)
    schema_editor.connection.database.drop_collection(REVOCATIONS)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0009_roles_see_money_requests")]

    operations = [migrations.RunPython(forwards, backwards)]
