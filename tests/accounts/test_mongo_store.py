"""The MongoDB unit of work against a recording fake of pymongo (tests/accounts/mongo_fake.py):
the exact operations and filters, the session each one ran in, the transaction options,
the error mapping, and a TransientTransactionError that the driver's callback API retries."""

import pytest
from bson import ObjectId
from django.db import IntegrityError
from django.db.utils import ConnectionHandler
from pymongo import ReadPreference
from pymongo.errors import ServerSelectionTimeoutError

from accounts.exceptions import IdempotencyConflict, InsufficientBalance, InvalidAccount
from accounts.models import Account, LedgerEntry, Transfer
from accounts.stores.base import IdempotencyRequest, Movement, TransferRequest, request_fingerprint
from accounts.stores.mongo import MongoLedgerStore, TransactionsUnavailable, document_of
from paytm_site.errors import DatabaseUnavailable
from tests.accounts.mongo_fake import FakeClient, FakeDatabase, write_conflict
from users.models import User

ACCOUNTS, TRANSFERS, ENTRIES = "accounts_account", "accounts_transfer", "accounts_ledgerentry"
IDEMPOTENCY, USERS = "accounts_idempotencyrecord", "users_user"
SENDER, RECIPIENT, ISSUANCE, OWNER = ObjectId(), ObjectId(), ObjectId(), ObjectId()


@pytest.fixture(scope="module")
def mongo_connection():
    """A django-mongodb-backend connection that is never opened: only its field conversions are used."""
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django_mongodb_backend", "NAME": "wallet", "HOST": "mongodb://127.0.0.1:1/"}}
    )
    return handler["default"]


@pytest.fixture
def database():
    database = FakeDatabase()
    database[ACCOUNTS].documents.update(
        {
            SENDER: {"_id": SENDER, "kind": "user", "user_id": OWNER, "balance": 1_000},
            RECIPIENT: {"_id": RECIPIENT, "kind": "user", "user_id": ObjectId(), "balance": 50},
            ISSUANCE: {"_id": ISSUANCE, "kind": "issuance", "user_id": None, "balance": -1_050},
        }
    )
    database[IDEMPOTENCY].unique_keys.append(("user_id", "key"))
    database[USERS].unique_keys.append(("email",))
    return database


@pytest.fixture
def client(database):
    return FakeClient(database)


@pytest.fixture
def store(mongo_connection, client, database):
    return MongoLedgerStore(connection=mongo_connection, client=client, database=database)


def transfer_request(amount=300, key=None, recipient=RECIPIENT):
    idempotency = None
    if key is not None:
        idempotency = IdempotencyRequest(
            user_pk=OWNER, key=key, fingerprint=request_fingerprint(recipient_id=str(recipient), amount=amount)
        )
    return TransferRequest(movement=Movement("transfer", SENDER, recipient, amount), idempotency=idempotency)


def balances(database):
    return {pk: doc["balance"] for pk, doc in database[ACCOUNTS].documents.items()}


def operations(database):
    return [(call.collection, call.operation) for call in database.calls]


def test_transfer_runs_every_operation_in_one_transaction(store, client, database):
    receipt = store.transfer(transfer_request(amount=300, key="order-1"))

    session = client.sessions[0]
    assert operations(database) == [
        (IDEMPOTENCY, "find_one"),
        (ACCOUNTS, "find_one_and_update"),
        (ACCOUNTS, "find_one_and_update"),
        (TRANSFERS, "insert_one"),
        (ENTRIES, "insert_many"),
        (IDEMPOTENCY, "insert_one"),
    ]
    assert all(call.session is session for call in database.calls)
    debit, credit = database.calls[1].details, database.calls[2].details
    assert debit["filter"] == {"_id": SENDER, "$or": [{"kind": "issuance"}, {"balance": {"$gte": 300}}]}
    assert debit["update"] == {"$inc": {"balance": -300}}
    assert credit["filter"] == {"_id": RECIPIENT} and credit["update"] == {"$inc": {"balance": 300}}
    assert database.calls[0].details["filter"] == {"user_id": OWNER, "key": "order-1"}

    options = client.transaction_options[0]
    assert options["read_concern"].level == "snapshot"
    assert options["write_concern"].document == {"w": "majority"}
    assert options["read_preference"] == ReadPreference.PRIMARY
    assert client.commits == 1 and client.aborts == 0 and session.ended

    assert balances(database)[SENDER] == 700 and balances(database)[RECIPIENT] == 350
    assert receipt.sender_balance == 700 and not receipt.replayed
    entries = sorted(database[ENTRIES].documents.values(), key=lambda e: e["amount"])
    assert [(e["account_id"], e["amount"], e["balance_after"]) for e in entries] == [
        (SENDER, -300, 700),
        (RECIPIENT, 300, 350),
    ]
    (transfer,) = database[TRANSFERS].documents.values()
    assert transfer["sender_id"] == SENDER and transfer["recipient_id"] == RECIPIENT and transfer["amount"] == 300
    assert all(e["transfer_id"] == transfer["_id"] for e in entries)


def test_insufficient_balance_writes_nothing_and_aborts(store, client, database):
    before = balances(database)
    with pytest.raises(InsufficientBalance):
        store.transfer(transfer_request(amount=1_001))
    assert operations(database) == [(ACCOUNTS, "find_one_and_update"), (ACCOUNTS, "count_documents")]
    assert balances(database) == before and not database[TRANSFERS].documents
    assert client.commits == 0 and client.aborts == 1


def test_insufficient_balance_with_a_key_is_remembered_and_replayed(store, client, database):
    with pytest.raises(InsufficientBalance):
        store.transfer(transfer_request(amount=1_001, key="big"))
    assert client.commits == 1  # the record, and nothing else
    (record,) = database[IDEMPOTENCY].documents.values()
    assert record["error_code"] == "insufficient_balance" and record["transfer_id"] is None

    database[ACCOUNTS].documents[SENDER]["balance"] = 5_000  # affordable now, but the key has its answer
    database.calls.clear()
    with pytest.raises(InsufficientBalance):
        store.transfer(transfer_request(amount=1_001, key="big"))
    assert operations(database) == [(IDEMPOTENCY, "find_one")]
    assert balances(database)[SENDER] == 5_000


def test_unknown_recipient_aborts_the_whole_transaction(store, client, database):
    before = balances(database)
    with pytest.raises(InvalidAccount):
        store.transfer(transfer_request(recipient=ObjectId()))
    # the debit had run inside the transaction; the abort took it back
    assert (ACCOUNTS, "find_one_and_update") in operations(database)
    assert balances(database) == before and not database[TRANSFERS].documents and not database[ENTRIES].documents
    assert client.aborts == 1 and client.commits == 0


def test_unknown_sender_is_invalid_account(store, database):
    database[ACCOUNTS].documents.pop(SENDER)
    with pytest.raises(InvalidAccount):
        store.transfer(transfer_request())


def test_write_conflict_is_retried_by_the_driver_and_money_moves_once(store, client, database):
    database[TRANSFERS].failures.append(("insert_one", write_conflict()))

    receipt = store.transfer(transfer_request(amount=200, key="retry-me"))

    assert client.retries == 1 and client.aborts == 1 and client.commits == 1
    assert len(client.sessions) == 1  # retried inside the one with_transaction call
    assert balances(database)[SENDER] == 800 and balances(database)[RECIPIENT] == 250
    assert len(database[TRANSFERS].documents) == 1 and len(database[ENTRIES].documents) == 2
    assert receipt.sender_balance == 800


def test_same_key_replays_and_another_body_conflicts(store, database):
    first = store.transfer(transfer_request(amount=100, key="k"))
    again = store.transfer(transfer_request(amount=100, key="k"))
    assert again.replayed and again.transfer_id == first.transfer_id and again.sender_balance == first.sender_balance
    assert len(database[TRANSFERS].documents) == 1 and balances(database)[SENDER] == 900
    with pytest.raises(IdempotencyConflict):
        store.transfer(transfer_request(amount=101, key="k"))
    assert balances(database)[SENDER] == 900


def test_a_racer_committing_the_same_key_first_is_replayed_not_repeated(store, client, database, mongo_connection):
    """Another request commits the same key between our lookup and our insert: our insert
    hits the unique index, the whole transaction is aborted and run again, and replays."""
    rival = store.transfer(transfer_request(amount=100, key="race"))
    rival_record = next(iter(database[IDEMPOTENCY].documents.values()))
    database[IDEMPOTENCY].documents.clear()  # as if the rival had not committed yet ...

    def rival_commits():
        database.commit_from_another_client(IDEMPOTENCY, rival_record)  # ... and now it has

    database[IDEMPOTENCY].before["insert_one"] = rival_commits
    receipt = store.transfer(transfer_request(amount=100, key="race"))

    assert receipt.replayed and receipt.transfer_id == rival.transfer_id
    assert len(database[TRANSFERS].documents) == 1 and balances(database)[SENDER] == 900


def test_standalone_server_is_503_with_a_message_not_a_driver_error(store, client, database, caplog):
    client.standalone = True
    with pytest.raises(TransactionsUnavailable) as raised:
        store.transfer(transfer_request())
    assert raised.value.status_code == 503
    assert "replica set" in raised.value.message and "Transaction numbers" not in raised.value.message
    assert "rs.initiate()" in caplog.text
    assert database.calls == []


def test_unreachable_server_is_database_unavailable(store, client):
    client.refuse_connections = ServerSelectionTimeoutError("No servers found")
    with pytest.raises(DatabaseUnavailable):
        store.transfer(transfer_request())


def test_signup_writes_user_wallet_and_grant_in_one_transaction(store, client, database):
    user = User(email="new@example.com", first_name="New", last_name="Person", password="hashed")

    saved = store.signup(user=user, grant=2_500)

    assert operations(database) == [
        (USERS, "insert_one"),
        (ACCOUNTS, "insert_one"),
        (ACCOUNTS, "find_one_and_update"),  # the issuance account, created if missing
        (ACCOUNTS, "find_one_and_update"),  # debit issuance
        (ACCOUNTS, "find_one_and_update"),  # credit the new wallet
        (TRANSFERS, "insert_one"),
        (ENTRIES, "insert_many"),
    ]
    assert len({id(call.session) for call in database.calls}) == 1 and client.commits == 1
    assert isinstance(saved.pk, ObjectId) and not saved._state.adding
    wallet = next(d for d in database[ACCOUNTS].documents.values() if d.get("user_id") == saved.pk)
    assert wallet["balance"] == 2_500 and balances(database)[ISSUANCE] == -1_050 - 2_500
    (grant,) = database[TRANSFERS].documents.values()
    assert grant["kind"] == "grant" and grant["sender_id"] == ISSUANCE


def test_signup_with_a_taken_email_is_integrity_error_and_writes_nothing(store, client, database):
    database[USERS].documents[ObjectId()] = {"_id": ObjectId(), "email": "taken@example.com"}
    before = database.snapshot()
    with pytest.raises(IntegrityError):
        store.signup(user=User(email="taken@example.com", first_name="A", last_name="B", password="x"), grant=100)
    assert database.snapshot() == before and client.commits == 0


def test_signup_creates_the_issuance_account_when_missing(store, database):
    database[ACCOUNTS].documents.pop(ISSUANCE)
    store.signup(user=User(email="first@example.com", first_name="F", last_name="P", password="x"), grant=100)
    issuance = [d for d in database[ACCOUNTS].documents.values() if d["kind"] == "issuance"]
    assert len(issuance) == 1 and issuance[0]["balance"] == -100


def test_documents_are_what_the_orm_would_write(mongo_connection):
    transfer = Transfer(kind="transfer", sender_id=SENDER, recipient_id=RECIPIENT, amount=5)
    document = document_of(transfer, mongo_connection)
    assert isinstance(document["_id"], ObjectId) and transfer.pk == document["_id"]
    assert document["sender_id"] == SENDER and document["amount"] == 5
    field = Transfer._meta.get_field("public_id")
    assert document["public_id"] == field.get_db_prep_save(transfer.public_id, mongo_connection)
    assert set(document) == {"_id"} | {f.column for f in Transfer._meta.concrete_fields if not f.primary_key}
    entry = document_of(
        LedgerEntry(transfer_id=transfer.pk, account_id=SENDER, amount=-5, balance_after=0), mongo_connection
    )
    assert entry["transfer_id"] == transfer.pk and entry["account_id"] == SENDER
    assert document_of(Account(kind="issuance"), mongo_connection)["user_id"] is None


def test_healthz_reports_a_standalone_mongodb(monkeypatch):
    import accounts.stores.mongo as mongo_store
    from paytm_site import health

    monkeypatch.setattr(mongo_store, "transactions_supported", lambda connection=None: False)
    response = health._mongodb_health()
    assert response.status_code == 503
    assert b"rs.initiate()" in response.content and b'"transactions": "unavailable"' in response.content
    monkeypatch.setattr(mongo_store, "transactions_supported", lambda connection=None: True)
    assert health._mongodb_health().status_code == 200


class TestVerifyLedgerOnMongoDB:
    """verify_ledger's MongoDB pipelines, run by mongomock on a ledger the store wrote."""

    @pytest.fixture
    def ledger(self, store, database):
        import mongomock

        database[ACCOUNTS].documents.clear()  # start from nothing: the store builds it all
        people = [
            store.signup(
                user=User(email=f"p{n}@example.com", first_name="P", last_name=str(n), password="x"), grant=1_000
            )
            for n in range(3)
        ]
        wallets = {d["user_id"]: d["_id"] for d in database[ACCOUNTS].documents.values() if d["kind"] == "user"}
        a, b, c = (wallets[p.pk] for p in people)
        for sender, recipient, amount in [(a, b, 300), (b, c, 700), (c, a, 50), (a, c, 10)]:
            store.transfer(TransferRequest(movement=Movement("transfer", sender, recipient, amount)))
        mock = mongomock.MongoClient().wallet
        for name, collection in database.collections.items():
            if collection.documents:
                mock[name].insert_many(list(collection.documents.values()))
        return mock, (a, b, c)

    def test_clean_ledger_passes(self, ledger):
        from accounts.ledger_checks_mongo import mongo_ledger_verify

        mock, _ = ledger
        report = mongo_ledger_verify(mock)
        assert report.ok, report.breaches
        assert (report.accounts, report.transfers, report.entries) == (4, 7, 14)

    def test_edited_balance_is_reported(self, ledger):
        from accounts.ledger_checks_mongo import mongo_ledger_verify

        mock, (a, _, _) = ledger
        mock[ACCOUNTS].update_one({"_id": a}, {"$inc": {"balance": 1}})
        breaches = " ".join(mongo_ledger_verify(mock).breaches)
        assert "differs from the sum of its entries" in breaches and "sum to 1 paise" in breaches

    def test_missing_entry_is_reported(self, ledger):
        from accounts.ledger_checks_mongo import mongo_ledger_verify

        mock, (a, _, _) = ledger
        mock[ENTRIES].delete_one({"account_id": a, "amount": -300})
        breaches = " ".join(mongo_ledger_verify(mock).breaches)
        assert "not exactly -amount on the sender" in breaches

    def test_broken_balance_chain_is_reported(self, ledger):
        from accounts.ledger_checks_mongo import mongo_ledger_verify

        mock, (_, b, _) = ledger
        mock[ENTRIES].update_one({"account_id": b, "amount": 300}, {"$inc": {"balance_after": 5}})
        assert any("chain" in line for line in mongo_ledger_verify(mock).breaches)

    def test_negative_user_balance_is_reported(self, ledger):
        from accounts.ledger_checks_mongo import mongo_ledger_verify

        mock, (a, _, c) = ledger
        mock[ACCOUNTS].update_one({"_id": a}, {"$set": {"balance": -5}})
        assert any("below zero" in line for line in mongo_ledger_verify(mock).breaches)
