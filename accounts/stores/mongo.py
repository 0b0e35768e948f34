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

from accounts.models import Account, IdempotencyRecord, LedgerEntry, Transfer
from accounts.movements import AccountState
from accounts.postings import Posting
from accounts.stores.base import LedgerReport, OrmHotReads, PostedTransfer, Remembered
from accounts.stores.errors import (
    ConcurrentCommit,
    DatabaseUnavailable,
    TransactionsUnavailable,
    UniqueViolation,
)
from accounts.stores.mongo_checks import mongo_ledger_verify
from accounts.stores.retry import UNIT_OF_WORK_RETRIES
from core.health import DEGRADED, OK, UNAVAILABLE, Health

logger = logging.getLogger(__name__)

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


def document_of(instance, connection) -> dict:
    """The document the ORM would insert for `instance`, assigning an ObjectId pk if it has
    none. Keys and foreign keys are ObjectIds as they are (a foreign key set to an object
    takes that object's key, as the ORM's save does); every other value goes through the
    field's own conversion for this connection."""
    if instance.pk is None:
        instance.pk = ObjectId()
    instance._prepare_related_fields_for_save(operation_name="insert")
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
        self.committed: list = []  # callbacks for after this unit's commit (inside a unit only)

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
        if self.session is not None:
            raise RuntimeError("a unit of work cannot run inside another: it could not be retried on its own")
        return self.retries.run(lambda: self._once(work), retryable=lambda error: isinstance(error, ConcurrentCommit))

    def _once(self, work):
        try:
            with self.client.start_session() as session:
                unit = MongoLedgerStore(
                    connection=self.connection, client=self.client, database=self.database, session=session
                )
                result = session.with_transaction(lambda _: self._attempt(unit, work), **TRANSACTION_OPTIONS)
        except OperationFailure as error:
            if error.code == ILLEGAL_OPERATION:
                logger.error(REPLICA_SET_HELP)
                raise TransactionsUnavailable() from None
            raise
        except ConnectionFailure as error:
            logger.warning("MongoDB unavailable: %s", error)
            raise DatabaseUnavailable() from None
        for callback in unit.committed:
            callback()
        return result

    def _attempt(self, unit, work):
        """One attempt of the driver's callback loop: what an earlier attempt meant to do after
        committing is forgotten with it."""
        unit.committed.clear()
        return work(unit)

    # -- inside a unit of work --------------------------------------------------------

    def after_commit(self, callback) -> None:
        self.committed.append(callback)

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

    def write_posting(self, posting: Posting) -> PostedTransfer:
        for change in (posting.sender, posting.recipient):
            self.set_balance(change.account, before=change.before, after=change.after)
        transfer = posting.transfer
        self.insert(transfer)
        self.insert_many(posting.entries)
        return PostedTransfer(pk=transfer.pk, public_id=str(transfer.public_id), created_at=transfer.created_at)

    def post_at_once(self, movement) -> None:
        return None  # every movement is a transaction of the driver's

    def set_balance(self, pk, *, before: int, after: int) -> None:
        """Only where the balance still holds the value read: the snapshot's guard."""
        updated = self.collection(Account).update_one(
            {"_id": pk, "balance": before}, {"$set": {"balance": after}}, session=self.session
        )
        if updated.matched_count != 1:  # the snapshot moved on; the server normally says so first
            raise ConcurrentCommit()

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
            created_at=instance_of(IdempotencyRecord, record, self.connection).created_at,
        )

    def forget_idempotency(self, *, user_pk, key: str) -> None:
        self.collection(IdempotencyRecord).delete_one({"user_id": user_pk, "key": key}, session=self.session)

    def lock_row(self, model, pk):
        document = self.collection(model).find_one({"_id": pk}, session=self.session)
        return None if document is None else instance_of(model, document, self.connection)

    def exists(self, model, **equals) -> bool:
        query = {_column(model._meta.get_field(name)): value for name, value in equals.items()}
        return self.collection(model).count_documents(query, limit=1, session=self.session) > 0

    def insert(self, instance) -> None:
        instance.pk = None  # a new row, with a new ObjectId, whatever an earlier attempt left
        try:
            self.collection(type(instance)).insert_one(document_of(instance, self.connection), session=self.session)
        except DuplicateKeyError as error:
            columns = list((error.details or {}).get("keyPattern", {}))
            by_column = {_column(field): field.name for field in instance._meta.concrete_fields}
            raise UniqueViolation(frozenset(by_column.get(c, c) for c in columns), error) from None
        instance._state.adding = False

    def insert_many(self, instances) -> None:
        if not instances:
            return
        for instance in instances:
            instance.pk = None
        documents = [document_of(instance, self.connection) for instance in instances]
        self.collection(type(instances[0])).insert_many(documents, session=self.session)
        for instance in instances:
            instance._state.adding = False

    def update_fields(self, instance, fields: list[str]) -> None:
        changes = {_column(f): _prepared(instance, f, self.connection) for f in map(instance._meta.get_field, fields)}
        self.collection(type(instance)).update_one({"_id": instance.pk}, {"$set": changes}, session=self.session)

    # -- checks ----------------------------------------------------------------------------

    def verify_ledger(self) -> LedgerReport:
        return mongo_ledger_verify(self.database)


class MongoDatabaseHealth:
    def __init__(self, connection=None):
        self.connection = connection or default_connection

    def health(self) -> Health:
        """A standalone mongod answers queries but cannot run the transactions every movement
        needs: that is reported here (degraded) instead of surfacing on a transfer."""
        try:
            supported = transactions_supported(self.connection)
        except PyMongoError as error:
            logger.warning("health check: MongoDB unreachable: %s", error)
            return Health(UNAVAILABLE, {"status": "down", "vendor": "mongodb"})
        database = {"status": "up", "vendor": "mongodb", "transactions": "available" if supported else "unavailable"}
        if supported:
            return Health(OK, database)
        return Health(DEGRADED, {**database, "help": REPLICA_SET_HELP})

    def on_connect(self) -> None:
        """At the first connection, say how to fix a MongoDB that cannot run transactions."""
        try:
            if not transactions_supported(self.connection):
                logger.warning(REPLICA_SET_HELP)
        except PyMongoError as error:
            logger.warning("MongoDB is not reachable yet: %s", error)


def mongo_client(connection):
    """The pymongo MongoClient that django-mongodb-backend opened for `connection`."""
    connection.ensure_connection()
    return connection.connection


def transactions_supported(connection=None) -> bool:
    """Whether the MongoDB behind `connection` can run transactions (replica set or mongos)."""
    hello = mongo_client(connection or default_connection).admin.command("hello")
    return "setName" in hello or hello.get("msg") == "isdbgrid"
