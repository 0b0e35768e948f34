"""The ledger store on MongoDB: each unit of work is one `ClientSession.with_transaction` on
the pymongo client of django-mongodb-backend's connection (snapshot reads, majority writes,
primary), so the driver retries WriteConflict and other transient errors and commit results
it cannot know.

MongoDB has no row locks. `lock_accounts` reads the accounts in the transaction's snapshot,
and `write_movement` sets each balance only where it still holds the value read: if another
transaction changed that account meanwhile, the write fails with a WriteConflict, the driver
runs the unit of work again, and the checks see the new balance. So two debits racing on
one sender cannot both pass, and nothing partial is ever committed.

Documents are written exactly as the ORM writes them (`document_of` runs every field through
Django's conversions for this connection) and read back the same way (`instance_of`), so the
ORM and the admin read what this store wrote.
"""

import logging

from bson import ObjectId
from django.db import connection as default_connection
from pymongo import ReadPreference, ReturnDocument
from pymongo.errors import ConnectionFailure, DuplicateKeyError, OperationFailure, PyMongoError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import Account, IdempotencyRecord, LedgerEntry, Transfer
from accounts.movements import AccountState, Movement
from accounts.stores.base import (
    ConcurrentCommit,
    Health,
    LedgerReport,
    OrmHotReads,
    PostedTransfer,
    Remembered,
    UniqueViolation,
)
from accounts.stores.mongo_checks import mongo_ledger_verify
from accounts.stores.retry import UNIT_OF_WORK_RETRIES
from core.errors import DatabaseUnavailable, ServiceUnavailable
from users.models import User

logger = logging.getLogger(__name__)

TOKEN_REVOCATIONS = "token_revocations"
ILLEGAL_OPERATION = 20  # "Transaction numbers are only allowed on a replica set member or mongos"
REPLICA_SET_HELP = (
    "MongoDB is running standalone, and transfers need a replica set. Start a single-node "
    "replica set: `mongod --replSet rs0 --dbpath <dir>`, then run `rs.initiate()` in mongosh, "
    "and point DATABASE_URL at mongodb://localhost:27017/wallet?replicaSet=rs0"
)
TRANSACTION_OPTIONS = {
    "read_concern": ReadConcern("snapshot"),
    "write_concern": WriteConcern("majority"),
    "read_preference": ReadPreference.PRIMARY,
}


class TransactionsUnavailable(ServiceUnavailable):
    default_detail = "Transfers are unavailable: the database is not a MongoDB replica set"
    default_code = "transactions_unavailable"


def document_of(instance, connection) -> dict:
    """The document the ORM would insert for `instance`, assigning an ObjectId pk if it has
    none. Keys and foreign keys are ObjectIds as they are; every other value goes through
    the field's own conversion for this connection."""
    if instance.pk is None:
        instance.pk = ObjectId()
    return {_column(field): _prepared(instance, field, connection) for field in instance._meta.concrete_fields}


def instance_of(model, document: dict, connection):
    """The model instance the ORM would build from `document` (the backend's converters)."""
    values = []
    for field in model._meta.concrete_fields:
        value = document.get(_column(field))
        expression = field.get_col(model._meta.db_table)
        for converter in connection.ops.get_db_converters(expression) + field.get_db_converters(connection):
            value = converter(value, expression, connection)
        values.append(value)
    return model.from_db(connection.alias, [field.attname for field in model._meta.concrete_fields], values)


def _column(field) -> str:
    return "_id" if field.primary_key else field.column


def _prepared(instance, field, connection):
    if field.primary_key or field.is_relation:
        return getattr(instance, field.attname)
    return field.get_db_prep_save(field.pre_save(instance, add=instance._state.adding), connection)


class MongoLedgerStore(OrmHotReads):
    retries = UNIT_OF_WORK_RETRIES

    def __init__(self, *, connection=None, client=None, database=None, session=None):
        self.connection = connection or default_connection
        self._client, self._database, self.session = client, database, session

    @property
    def client(self):
        if self._client is None:
            self._client = mongo_client(self.connection)
        return self._client

    @property
    def database(self):
        if self._database is None:
            self.connection.ensure_connection()
            self._database = self.connection.database
        return self._database

    def collection(self, model):
        return self.database[model._meta.db_table]

    # -- units of work ----------------------------------------------------------------

    def run(self, work):
        return self.retries.run(lambda: self._once(work), retryable=lambda error: isinstance(error, ConcurrentCommit))

    def _once(self, work):
        try:
            with self.client.start_session() as session:
                unit = MongoLedgerStore(
                    connection=self.connection, client=self.client, database=self.database, session=session
                )
                return session.with_transaction(lambda _: work(unit), **TRANSACTION_OPTIONS)
        except OperationFailure as error:
            if error.code == ILLEGAL_OPERATION:
                logger.error(REPLICA_SET_HELP)
                raise TransactionsUnavailable() from None
            raise
        except ConnectionFailure as error:
            logger.warning("MongoDB unavailable: %s", error)
            raise DatabaseUnavailable() from None

    # -- inside a unit of work --------------------------------------------------------

    def lock_accounts(self, *pks) -> dict:
        found = self.collection(Account).find(
            {"_id": {"$in": list(dict.fromkeys(pks))}},
            projection={"kind": True, "balance": True, "frozen": True},
            session=self.session,
        )
        return {
            doc["_id"]: AccountState(
                pk=doc["_id"], kind=doc["kind"], balance=doc["balance"], frozen=doc.get("frozen", False)
            )
            for doc in found
        }

    def system_account(self, kind: str):
        fresh = document_of(Account(kind=kind, balance=0), self.connection)
        account = self.collection(Account).find_one_and_update(
            {"kind": kind},
            {"$setOnInsert": fresh},
            upsert=True,
            projection={"_id": True},
            return_document=ReturnDocument.AFTER,
            session=self.session,
        )
        return account["_id"]

    def write_movement(self, movement: Movement, *, sender_after: int, recipient_after: int) -> PostedTransfer:
        accounts = self.collection(Account)
        for pk, before, after in [
            (movement.sender, sender_after + movement.amount, sender_after),
            (movement.recipient, recipient_after - movement.amount, recipient_after),
        ]:
            updated = accounts.update_one(
                {"_id": pk, "balance": before}, {"$set": {"balance": after}}, session=self.session
            )
            if updated.matched_count != 1:  # the snapshot moved on; the server normally says so first
                raise ConcurrentCommit()
        transfer = movement.as_transfer()
        self.insert(transfer)
        entries = [
            LedgerEntry(
                transfer_id=transfer.pk,
                account_id=movement.sender,
                amount=-movement.amount,
                balance_after=sender_after,
                created_at=transfer.created_at,
            ),
            LedgerEntry(
                transfer_id=transfer.pk,
                account_id=movement.recipient,
                amount=movement.amount,
                balance_after=recipient_after,
                created_at=transfer.created_at,
            ),
        ]
        self.collection(LedgerEntry).insert_many(
            [document_of(entry, self.connection) for entry in entries], session=self.session
        )
        return PostedTransfer(pk=transfer.pk, public_id=str(transfer.public_id), created_at=transfer.created_at)

    def find_idempotency(self, *, user_pk, key: str) -> Remembered | None:
        record = self.collection(IdempotencyRecord).find_one({"user_id": user_pk, "key": key}, session=self.session)
        if record is None:
            return None
        transfer, sender_balance = None, None
        if record.get("transfer_id") is not None:
            stored = self.lock_row(Transfer, record["transfer_id"])
            debit = self.collection(LedgerEntry).find_one(
                {"transfer_id": record["transfer_id"], "amount": {"$lt": 0}}, session=self.session
            )
            transfer = PostedTransfer(pk=stored.pk, public_id=str(stored.public_id), created_at=stored.created_at)
            sender_balance = debit["balance_after"]
        return Remembered(
            fingerprint=record["request_fingerprint"],
            error_code=record["error_code"],
            transfer=transfer,
            sender_balance=sender_balance,
        )

    def lock_row(self, model, pk):
        document = self.collection(model).find_one({"_id": pk}, session=self.session)
        return None if document is None else instance_of(model, document, self.connection)

    def exists(self, model, **equals) -> bool:
        query = {_column(model._meta.get_field(name)): value for name, value in equals.items()}
        return self.collection(model).count_documents(query, limit=1, session=self.session) > 0

    def insert(self, instance) -> None:
        try:
            self.collection(type(instance)).insert_one(document_of(instance, self.connection), session=self.session)
        except DuplicateKeyError as error:
            instance.pk = None
            columns = list((error.details or {}).get("keyPattern", {}))
            by_column = {_column(field): field.name for field in instance._meta.concrete_fields}
            raise UniqueViolation(frozenset(by_column.get(c, c) for c in columns), error) from None
        instance._state.adding = False

    def update_fields(self, instance, fields: list[str]) -> None:
        changes = {_column(f): _prepared(instance, f, self.connection) for f in map(instance._meta.get_field, fields)}
        self.collection(type(instance)).update_one({"_id": instance.pk}, {"$set": changes}, session=self.session)

    # -- signing out ---------------------------------------------------------------------------
    # SimpleJWT's blacklist app cannot run here (its models declare BigAutoField keys), so
    # revoked refresh tokens are kept in a collection of their own, which MongoDB empties of
    # expired ones by itself (a TTL index, mongo_migrations/accounts/0010).

    def revoke_refresh_token(self, token) -> None:
        jti = token[jwt_settings.JTI_CLAIM]
        revoked = {
            "jti": jti,
            "user_id": token.get(jwt_settings.USER_ID_CLAIM),
            "expires_at": datetime_from_epoch(token["exp"]),
        }
        self.database[TOKEN_REVOCATIONS].update_one({"jti": jti}, {"$setOnInsert": revoked}, upsert=True)

    def refresh_token_revoked(self, token) -> bool:
        return self.database[TOKEN_REVOCATIONS].count_documents({"jti": token[jwt_settings.JTI_CLAIM]}, limit=1) > 0

    # -- checks, seeding, health --------------------------------------------------------

    def verify_ledger(self) -> LedgerReport:
        return mongo_ledger_verify(self.database)

    def open_accounts_bulk(self, *, users: list, grants: list[int]) -> None:
        """One transaction, as on SQL, with the documents inserted in bulk."""

        def work(unit):
            issuance_pk = unit.system_account(Account.Kind.ISSUANCE)
            issuance = unit.lock_accounts(issuance_pk)[issuance_pk]
            people = [_with_pk(user) for user in users]
            wallets = [
                _with_pk(Account(user=user, kind=Account.Kind.USER, balance=g))
                for user, g in zip(people, grants, strict=True)
            ]
            transfers = [
                _with_pk(Transfer(kind=Transfer.Kind.GRANT, sender_id=issuance.pk, recipient_id=wallet.pk, amount=g))
                for wallet, g in zip(wallets, grants, strict=True)
            ]
            running, entries = issuance.balance, []
            for transfer, wallet, grant in zip(transfers, wallets, grants, strict=True):
                running -= grant
                entries.append(
                    LedgerEntry(
                        transfer_id=transfer.pk,
                        account_id=issuance.pk,
                        amount=-grant,
                        balance_after=running,
                        created_at=transfer.created_at,
                    )
                )
                entries.append(
                    LedgerEntry(
                        transfer_id=transfer.pk,
                        account_id=wallet.pk,
                        amount=grant,
                        balance_after=grant,
                        created_at=transfer.created_at,
                    )
                )
            for model, rows in [(User, people), (Account, wallets), (Transfer, transfers), (LedgerEntry, entries)]:
                documents = [document_of(row, self.connection) for row in rows]
                unit.collection(model).insert_many(documents, session=unit.session)
            accounts = unit.collection(Account)
            accounts.update_one(
                {"_id": issuance.pk, "balance": issuance.balance}, {"$set": {"balance": running}}, session=unit.session
            )

        self.run(work)
        for user in users:
            user._state.adding = False

    def health(self) -> Health:
        """A standalone mongod answers queries but cannot run the transactions every movement
        needs: that is reported here (503) instead of surfacing on a transfer."""
        try:
            supported = transactions_supported(self.connection)
        except PyMongoError as error:
            return Health(status=503, body=_down(str(error)))
        database = {"status": "up", "vendor": "mongodb", "transactions": "available" if supported else "unavailable"}
        if supported:
            return Health(status=200, body={"status": "ok", "database": database})
        return Health(status=503, body={"status": "degraded", "database": {**database, "help": REPLICA_SET_HELP}})

    def on_connect(self) -> None:
        """At the first connection, say how to fix a MongoDB that cannot run transactions."""
        try:
            if not transactions_supported(self.connection):
                logger.warning(REPLICA_SET_HELP)
        except PyMongoError as error:
            logger.warning("MongoDB is not reachable yet: %s", error)


def _with_pk(instance):
    if instance.pk is None:
        instance.pk = ObjectId()
    return instance


def _down(error: str) -> dict:
    return {"status": "unavailable", "database": {"status": "down", "vendor": "mongodb", "error": error[:200]}}


def mongo_client(connection):
    """The pymongo MongoClient that django-mongodb-backend opened for `connection`."""
    connection.ensure_connection()
    return connection.connection


def transactions_supported(connection=None) -> bool:
    """Whether the MongoDB behind `connection` can run transactions (replica set or mongos)."""
    hello = mongo_client(connection or default_connection).admin.command("hello")
    return "setName" in hello or hello.get("msg") == "isdbgrid"
