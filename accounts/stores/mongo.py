"""Moving money on MongoDB: one `ClientSession.with_transaction` per operation, on the
pymongo client of django-mongodb-backend's connection.

Inside the one session (snapshot reads, majority writes, primary):
- the idempotency record is looked up first, and written with the outcome;
- the debit is conditional (`balance >= amount` unless it is the issuance account), so two
  debits racing on one sender cannot both pass: the loser either finds too little money or
  hits a WriteConflict, which the driver retries (TransientTransactionError);
- the credit, the transfer document and its two entries follow.
Any error inside aborts the transaction, so nothing partial is ever committed.

Documents are written exactly as the ORM writes them: `document_of` runs every field
through Django's own `get_db_prep_save` for the connection, so the ORM reads them back.
"""

import logging
import random
import time

from bson import ObjectId
from django.db import IntegrityError, connection as default_connection
from pymongo import ReadPreference, ReturnDocument
from pymongo.errors import ConnectionFailure, DuplicateKeyError, OperationFailure
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from accounts.exceptions import InsufficientBalance, InvalidAccount
from accounts.models import Account, IdempotencyRecord, LedgerEntry, Transfer
from accounts.stores.base import (
    OUTCOME_INSUFFICIENT_BALANCE,
    IdempotencyKeyTaken,
    Movement,
    TransferReceipt,
    TransferRequest,
    replay_outcome,
)
from paytm_site.errors import DatabaseUnavailable, ServiceBusy, ServiceUnavailable

logger = logging.getLogger(__name__)

ILLEGAL_OPERATION = 20  # "Transaction numbers are only allowed on a replica set member or mongos"
MAX_ATTEMPTS = 5
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
    message = "Transfers are unavailable: the database is not a MongoDB replica set"


def document_of(instance, connection) -> dict:
    """The document the ORM would insert for `instance`, assigning an ObjectId pk if it has
    none. Keys and foreign keys are ObjectIds as they are; every other value goes through
    the field's own conversion for this connection."""
    if instance.pk is None:
        instance.pk = ObjectId()
    document = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key:
            document["_id"] = instance.pk
        elif field.is_relation:
            document[field.column] = getattr(instance, field.attname)
        else:
            document[field.column] = field.get_db_prep_save(field.pre_save(instance, add=True), connection)
    return document


class MongoLedgerStore:
    def __init__(self, *, connection=None, client=None, database=None):
        self.connection = connection or default_connection
        self.client = client if client is not None else mongo_client(self.connection)
        self.database = database if database is not None else self.connection.database
        self.accounts = self.database[Account._meta.db_table]
        self.transfers = self.database[Transfer._meta.db_table]
        self.entries = self.database[LedgerEntry._meta.db_table]
        self.idempotency = self.database[IdempotencyRecord._meta.db_table]

    # -- operations ------------------------------------------------------------------

    def transfer(self, request: TransferRequest) -> TransferReceipt:
        outcome = self._run(lambda session: self._transfer_in(session, request))
        if isinstance(outcome, Exception):
            raise outcome  # a remembered failure, committed with its idempotency record
        return outcome

    def signup(self, *, user, grant: int):
        users = self.database[type(user)._meta.db_table]

        def work(session):
            try:
                users.insert_one(document_of(user, self.connection), session=session)
            except DuplicateKeyError as error:
                user.pk = None
                raise IntegrityError(str(error)) from None
            account = Account(user=user, kind=Account.Kind.USER, balance=0)
            self.accounts.insert_one(document_of(account, self.connection), session=session)
            self._post(session, Movement(Transfer.Kind.GRANT, self._issuance_pk(session), account.pk, grant))
            return user

        saved = self._run(work)
        saved._state.adding = False
        return saved

    # -- the unit of work ------------------------------------------------------------

    def _run(self, work):
        """`work(session)` in one transaction; the driver's callback API retries transient
        errors (WriteConflict and the like) and commit results it cannot know."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with self.client.start_session() as session:
                    return session.with_transaction(work, **TRANSACTION_OPTIONS)
            except IdempotencyKeyTaken:
                time.sleep(random.uniform(0, 0.005 * 2**attempt))
            except OperationFailure as error:
                if error.code == ILLEGAL_OPERATION:
                    logger.error(REPLICA_SET_HELP)
                    raise TransactionsUnavailable() from None
                raise
            except ConnectionFailure as error:
                logger.warning("MongoDB unavailable: %s", error)
                raise DatabaseUnavailable() from None
        raise ServiceBusy()

    def _transfer_in(self, session, request: TransferRequest):
        idempotency = request.idempotency
        if idempotency is not None:
            record = self.idempotency.find_one(
                {"user_id": idempotency.user_pk, "key": idempotency.key}, session=session
            )
            if record is not None:
                return self._replay(session, record, idempotency)
        try:
            transfer, sender_after = self._post(session, request.movement)
        except InsufficientBalance as error:
            if idempotency is None:
                raise
            self._remember(session, idempotency, error_code=OUTCOME_INSUFFICIENT_BALANCE)
            return error
        if idempotency is not None:
            self._remember(session, idempotency, transfer_pk=transfer.pk)
        return TransferReceipt(transfer_id=str(transfer.public_id), sender_balance=sender_after)

    def _post(self, session, movement: Movement) -> tuple[Transfer, int]:
        amount = movement.amount
        if movement.sender_account_pk == movement.recipient_account_pk:
            raise InvalidAccount()
        debited = self.accounts.find_one_and_update(
            {
                "_id": movement.sender_account_pk,
                "$or": [{"kind": Account.Kind.ISSUANCE.value}, {"balance": {"$gte": amount}}],
            },
            {"$inc": {"balance": -amount}},
            projection={"balance": True},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if debited is None:
            exists = self.accounts.count_documents({"_id": movement.sender_account_pk}, limit=1, session=session)
            raise InsufficientBalance() if exists else InvalidAccount()
        credited = self.accounts.find_one_and_update(
            {"_id": movement.recipient_account_pk},
            {"$inc": {"balance": amount}},
            projection={"balance": True},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if credited is None:
            raise InvalidAccount()  # aborts the transaction: the debit is undone with it

        transfer = Transfer(
            kind=movement.kind,
            sender_id=movement.sender_account_pk,
            recipient_id=movement.recipient_account_pk,
            amount=amount,
        )
        self.transfers.insert_one(document_of(transfer, self.connection), session=session)
        entries = [
            LedgerEntry(
                transfer_id=transfer.pk,
                account_id=movement.sender_account_pk,
                amount=-amount,
                balance_after=debited["balance"],
                created_at=transfer.created_at,
            ),
            LedgerEntry(
                transfer_id=transfer.pk,
                account_id=movement.recipient_account_pk,
                amount=amount,
                balance_after=credited["balance"],
                created_at=transfer.created_at,
            ),
        ]
        self.entries.insert_many([document_of(entry, self.connection) for entry in entries], session=session)
        transfer._state.adding = False
        return transfer, debited["balance"]

    def _issuance_pk(self, session):
        fresh = document_of(Account(kind=Account.Kind.ISSUANCE, balance=0), self.connection)
        issuance = self.accounts.find_one_and_update(
            {"kind": Account.Kind.ISSUANCE.value},
            {"$setOnInsert": fresh},
            upsert=True,
            projection={"_id": True},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        return issuance["_id"]

    def _remember(self, session, idempotency, *, transfer_pk=None, error_code=""):
        record = IdempotencyRecord(
            user_id=idempotency.user_pk,
            key=idempotency.key,
            request_fingerprint=idempotency.fingerprint,
            transfer_id=transfer_pk,
            error_code=error_code,
        )
        try:
            self.idempotency.insert_one(document_of(record, self.connection), session=session)
        except DuplicateKeyError:
            raise IdempotencyKeyTaken() from None

    def _replay(self, session, record: dict, idempotency):
        try:
            replay_outcome(
                stored_fingerprint=record["request_fingerprint"], request=idempotency, error_code=record["error_code"]
            )
        except InsufficientBalance as error:
            return error
        transfer = self.transfers.find_one({"_id": record["transfer_id"]}, session=session)
        sender_entry = self.entries.find_one(
            {"transfer_id": record["transfer_id"], "amount": {"$lt": 0}}, session=session
        )
        public_id = Transfer._meta.get_field("public_id").to_python(transfer["public_id"])
        return TransferReceipt(transfer_id=str(public_id), sender_balance=sender_entry["balance_after"], replayed=True)


def mongo_client(connection):
    """The pymongo MongoClient that django-mongodb-backend opened for `connection`."""
    connection.ensure_connection()
    return connection.connection


def transactions_supported(connection=None) -> bool:
    """Whether the MongoDB behind `connection` can run transactions (replica set or mongos)."""
    hello = mongo_client(connection or default_connection).admin.command("hello")
    return "setName" in hello or hello.get("msg") == "isdbgrid"
