"""The database guards the ledger's invariants on MongoDB too.

django-mongodb-backend drops every CheckConstraint (MongoDB has no CHECK), so on MongoDB
these collection validators (query validators, `validationLevel: strict`) state the same
rules as the SQL constraints of accounts/models.py and users/models.py, one rule per
constraint, by its name.
A write that breaks one is refused by the server (error 121, DocumentValidationFailure),
whatever code path made it.

The migrations in mongo_migrations/accounts/ apply a literal copy of `VALIDATORS` as it was
when each was written; tests check that the latest one issues exactly `VALIDATORS` and that
every document the store writes matches them. A wrong validator would refuse every write in
production, so change this file only with a new migration and those tests.
"""

# Rules as MongoDB queries over the documents the ORM writes (column names; a null foreign
# key is stored as null). {"field": None} matches null or missing; {"$ne": None}, present.
RULES: dict[str, tuple[str, dict]] = {
    "account_user_balance_not_negative": (
        "accounts_account",
        {"$or": [{"kind": {"$ne": "user"}}, {"balance": {"$gte": 0}}]},
    ),
    "account_kind_matches_owner": (
        "accounts_account",
        {"$or": [{"kind": "user", "user_id": {"$ne": None}}, {"kind": {"$ne": "user"}, "user_id": None}]},
    ),
    "transfer_amount_positive": ("accounts_transfer", {"amount": {"$gt": 0}}),
    "transfer_not_to_self": ("accounts_transfer", {"$expr": {"$ne": ["$sender_id", "$recipient_id"]}}),
    "transfer_reversal_links_original": (
        "accounts_transfer",
        {
            "$or": [
                {"kind": "reversal", "reverses_id": {"$ne": None}},
                {"kind": {"$ne": "reversal"}, "reverses_id": None},
            ]
        },
    ),
    "entry_amount_not_zero": ("accounts_ledgerentry", {"amount": {"$ne": 0}}),
    "adjustment_amount_positive": ("accounts_adjustmentproposal", {"amount": {"$gt": 0}}),
    "adjustment_posted_only_when_approved": (
        "accounts_adjustmentproposal",
        {
            "$or": [
                {"status": "approved", "transfer_id": {"$ne": None}},
                {"status": {"$ne": "approved"}, "transfer_id": None},
            ]
        },
    ),
    "adjustment_four_eyes": (
        "accounts_adjustmentproposal",
        {"$or": [{"decided_by_id": None}, {"$expr": {"$ne": ["$decided_by_id", "$proposed_by_id"]}}]},
    ),
    "request_amount_positive": ("accounts_moneyrequest", {"amount": {"$gt": 0}}),
    "request_not_to_self": ("accounts_moneyrequest", {"$expr": {"$ne": ["$requester_id", "$payer_id"]}}),
    "request_paid_with_a_transfer": (
        "accounts_moneyrequest",
        {"$or": [{"status": "paid", "transfer_id": {"$ne": None}}, {"status": {"$ne": "paid"}, "transfer_id": None}]},
    ),
    "user_email_lowercase": ("users_user", {"$expr": {"$eq": ["$email", {"$toLower": "$email"}]}}),
    "idempotency_one_outcome": (
        "accounts_idempotencyrecord",
        {"$or": [{"error_code": "", "transfer_id": {"$ne": None}}, {"transfer_id": None, "error_code": {"$ne": ""}}]},
    ),
}


def validators_of(rules: dict[str, tuple[str, dict]]) -> dict[str, dict]:
    """One validator per collection: every rule of that collection must hold."""
    collections: dict[str, list] = {}
    for collection, rule in rules.values():
        collections.setdefault(collection, []).append(rule)
    return {collection: {"$and": conditions} for collection, conditions in collections.items()}


VALIDATORS = validators_of(RULES)


def apply_validators(database, validators: dict[str, dict]) -> None:
    """Install `validators` on their collections (run by the MongoDB migrations)."""
    for collection, validator in validators.items():
        database.command("collMod", collection, validator=validator, validationLevel="strict", validationAction="error")


def remove_validators(database, validators: dict[str, dict]) -> None:
    for collection in validators:
        database.command("collMod", collection, validator={}, validationLevel="off")
