"""The MongoDB store under the one ledger algorithm, against a recording fake of pymongo
(tests/accounts/mongo_fake.py): the exact operations and filters, the session each one ran
in, the transaction options, the error mapping, a TransientTransactionError that the
driver's callback API retries, and a balance changed by another client between the read and
the write."""

import pytest
from bson import ObjectId
from django.db.utils import ConnectionHandler
from pymongo import ReadPreference
from pymongo.errors import ServerSelectionTimeoutError

from accounts import ledger
from accounts.exceptions import IdempotencyConflict, InsufficientBalance, InvalidAccount
from accounts.models import Account, LedgerEntry, Transfer
from accounts.movements import Movement
from accounts.services import accounts_open_bulk
from accounts.stores.base import IdempotencyRequest
from accounts.stores.errors import TransactionsUnavailable, UniqueViolation
from accounts.stores.mongo import MongoDatabaseHealth, MongoLedgerStore, document_of, instance_of
from core.api.errors import api_exception_handler
from core.errors import DatabaseUnavailable
from core.health import DEGRADED, OK
from tests.accounts.stores.mongo_fake import FakeClient, FakeDatabase, write_conflict
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
            SENDER: {"_id": SENDER, "kind": "user", "user_id": OWNER, "balance": 1_000, "frozen": False},
            RECIPIENT: {"_id": RECIPIENT, "kind": "user", "user_id": ObjectId(), "balance": 50, "frozen": False},
            ISSUANCE: {"_id": ISSUANCE, "kind": "issuance", "user_id": None, "balance": -1_050, "frozen": False},
        }
    )
    database[IDEMPOTENCY].unique_keys.append(("user_id", "key"))
    database[USERS].unique_keys.append(("email",))
    database[TRANSFERS].unique_keys.append(("reverses_id",))
    return database


@pytest.fixture
def client(database):
    return FakeClient(database)


@pytest.fixture
def store(mongo_connection, client, database):
    return MongoLedgerStore(connection=mongo_connection, client=client, database=database)


def send(store, amount=300, key=None, recipient=RECIPIENT, sender=SENDER, kind="transfer"):
    """A transfer through the one algorithm, as accounts.services does it."""
    idempotency = None
    if key is not None:
        idempotency = IdempotencyRequest.of(user_pk=OWNER, key=key, request=(str(recipient), amount))
    return ledger.raise_if_refused(
        ledger.post(Movement(kind, sender, recipient, amount), idempotency=idempotency, store=store)
    )


def balances(database):
    return {pk: doc["balance"] for pk, doc in database[ACCOUNTS].documents.items()}


def operations(database):
    return [(call.collection, call.operation) for call in database.calls]


def test_transfer_runs_every_operation_in_one_transaction(store, client, database):
    posted = send(store, amount=300, key="order-1")

    session = client.sessions[0]
    assert operations(database) == [
        (IDEMPOTENCY, "find_one"),
        (ACCOUNTS, "find"),
        (ACCOUNTS, "update_one"),
        (ACCOUNTS, "update_one"),
        (TRANSFERS, "insert_one"),
        (ENTRIES, "insert_many"),
        (IDEMPOTENCY, "insert_one"),
    ]
    assert all(call.session is session for call in database.calls)
    lock, debit, credit = database.calls[1].details, database.calls[2].details, database.calls[3].details
    assert lock["filter"] == {"_id": {"$in": [SENDER, RECIPIENT]}}
    # Each balance is set only where it still holds what the snapshot read.
    assert debit["filter"] == {"_id": SENDER, "balance": 1_000} and debit["update"] == {"$set": {"balance": 700}}
    assert credit["filter"] == {"_id": RECIPIENT, "balance": 50} and credit["update"] == {"$set": {"balance": 350}}
    assert database.calls[0].details["filter"] == {"user_id": OWNER, "key": "order-1"}

    options = client.transaction_options[0]
    assert options["read_concern"].level == "snapshot"
    assert options["write_concern"].document == {"w": "majority"}
    assert options["read_preference"] == ReadPreference.PRIMARY
    assert client.commits == 1 and client.aborts == 0 and session.ended

    assert balances(database)[SENDER] == 700 and balances(database)[RECIPIENT] == 350
    assert posted.sender_balance == 700 and not posted.replayed
    entries = sorted(database[ENTRIES].documents.values(), key=lambda e: e["amount"])
    assert [(e["account_id"], e["amount"], e["balance_after"]) for e in entries] == [
        (SENDER, -300, 700),
        (RECIPIENT, 300, 350),
    ]
    (transfer,) = database[TRANSFERS].documents.values()
    assert transfer["sender_id"] == SENDER and transfer["recipient_id"] == RECIPIENT and transfer["amount"] == 300
    assert transfer["note"] == "" and transfer["reverses_id"] is None
    assert all(e["transfer_id"] == transfer["_id"] for e in entries)


def test_insufficient_balance_writes_nothing(store, client, database):
    before = balances(database)
    with pytest.raises(InsufficientBalance):
        send(store, amount=1_001)
    assert operations(database) == [(ACCOUNTS, "find")]
    assert balances(database) == before and not database[TRANSFERS].documents


def test_insufficient_balance_with_a_key_is_remembered_and_replayed(store, client, database):
    with pytest.raises(InsufficientBalance):
        send(store, amount=1_001, key="big")
    assert client.commits == 1  # the record, and nothing else
    (record,) = database[IDEMPOTENCY].documents.values()
    assert record["error_code"] == "insufficient_balance" and record["transfer_id"] is None

    database[ACCOUNTS].documents[SENDER]["balance"] = 5_000  # affordable now, but the key has its answer
    database.calls.clear()
    with pytest.raises(InsufficientBalance):
        send(store, amount=1_001, key="big")
    assert operations(database) == [(IDEMPOTENCY, "find_one")]
    assert balances(database)[SENDER] == 5_000


@pytest.mark.parametrize("missing", [SENDER, RECIPIENT])
def test_unknown_account_is_invalid_account_and_writes_nothing(store, database, missing):
    database[ACCOUNTS].documents.pop(missing)
    before = database.snapshot()
    with pytest.raises(InvalidAccount):
        send(store)
    assert database.snapshot() == before


def test_a_frozen_recipient_is_invalid_account(store, database):
    database[ACCOUNTS].documents[RECIPIENT]["frozen"] = True
    with pytest.raises(InvalidAccount):
        send(store)
    assert not database[TRANSFERS].documents


def test_write_conflict_is_retried_by_the_driver_and_money_moves_once(store, client, database):
    database[TRANSFERS].failures.append(("insert_one", write_conflict()))

    posted = send(store, amount=200, key="retry-me")

    assert client.retries == 1 and client.aborts == 1 and client.commits == 1
    assert len(client.sessions) == 1  # retried inside the one with_transaction call
    assert balances(database)[SENDER] == 800 and balances(database)[RECIPIENT] == 250
    assert len(database[TRANSFERS].documents) == 1 and len(database[ENTRIES].documents) == 2
    assert posted.sender_balance == 800


def test_a_balance_changed_after_the_read_is_never_overwritten(store, client, database):
    """Another client commits a debit of the sender between our read and our write: our
    conditional write matches nothing, the unit of work runs again on the new balance."""

    def rival_debits():
        database.commit_from_another_client(ACCOUNTS, {**database[ACCOUNTS].documents[SENDER], "balance": 900})

    database[ACCOUNTS].before["update_one"] = rival_debits
    posted = send(store, amount=300)

    assert posted.sender_balance == 600 and balances(database)[SENDER] == 600
    assert len(client.sessions) == 2 and client.commits == 1
    assert len(database[TRANSFERS].documents) == 1


def test_same_key_replays_and_another_body_conflicts(store, database):
    first = send(store, amount=100, key="k")
    again = send(store, amount=100, key="k")
    assert again.replayed and again.transfer.public_id == first.transfer.public_id
    assert again.sender_balance == first.sender_balance and again.transfer.created_at == first.transfer.created_at
    assert len(database[TRANSFERS].documents) == 1 and balances(database)[SENDER] == 900
    with pytest.raises(IdempotencyConflict):
        send(store, amount=101, key="k")
    assert balances(database)[SENDER] == 900


def test_a_racer_committing_the_same_key_first_is_replayed_not_repeated(store, client, database):
    """Another request commits the same key between our lookup and our insert: our insert
    hits the unique index, the whole unit of work is aborted and run again, and replays."""
    rival = send(store, amount=100, key="race")
    rival_record = next(iter(database[IDEMPOTENCY].documents.values()))
    database[IDEMPOTENCY].documents.clear()  # as if the rival had not committed yet ...

    def rival_commits():
        database.commit_from_another_client(IDEMPOTENCY, rival_record)  # ... and now it has

    database[IDEMPOTENCY].before["insert_one"] = rival_commits
    posted = send(store, amount=100, key="race")

    assert posted.replayed and posted.transfer.public_id == rival.transfer.public_id
    assert len(database[TRANSFERS].documents) == 1 and balances(database)[SENDER] == 900


def test_a_second_reversal_of_one_transfer_is_refused_by_the_unique_index(store, database):
    original = send(store, amount=100)
    reverse = Movement("reversal", RECIPIENT, SENDER, 100, note="mistake", reverses=original.transfer.pk)
    ledger.post(reverse, store=store)
    again = Transfer(
        kind="reversal", sender_id=RECIPIENT, recipient_id=SENDER, amount=100, reverses_id=original.transfer.pk
    )
    with pytest.raises(UniqueViolation) as raised:
        store.run(lambda unit: unit.insert(again))
    assert raised.value.fields == {"reverses"}
    assert len([t for t in database[TRANSFERS].documents.values() if t["kind"] == "reversal"]) == 1


def test_standalone_server_is_503_with_a_message_not_a_driver_error(store, client, database, caplog):
    client.standalone = True
    with pytest.raises(TransactionsUnavailable) as raised:
        send(store)
    assert api_exception_handler(raised.value, {}).status_code == 503
    assert "replica set" in raised.value.detail and "Transaction numbers" not in raised.value.detail
    assert "rs.initiate()" in caplog.text
    assert database.calls == []


def test_unreachable_server_is_database_unavailable(store, client):
    client.refuse_connections = ServerSelectionTimeoutError("No servers found")
    with pytest.raises(DatabaseUnavailable):
        send(store)


def sign_up(store, user, grant):
    """Sign-up's unit of work, as accounts.services.account_open_with_grant runs it."""

    def work(unit):
        unit.insert(user)
        wallet = Account(user=user, kind=Account.Kind.USER)
        unit.insert(wallet)
        issuance = unit.system_account(Account.Kind.ISSUANCE)
        return ledger.raise_if_refused(ledger.post_in(unit, Movement("grant", issuance, wallet.pk, grant)))

    return store.run(work)


def test_signup_writes_user_wallet_and_grant_in_one_transaction(store, client, database):
    user = User(email="new@example.com", first_name="New", last_name="Person", password="hashed")

    sign_up(store, user, 2_500)

    assert operations(database) == [
        (USERS, "insert_one"),
        (ACCOUNTS, "insert_one"),
        (ACCOUNTS, "find_one_and_update"),  # the issuance account, created if missing
        (ACCOUNTS, "find"),
        (ACCOUNTS, "update_one"),  # debit issuance
        (ACCOUNTS, "update_one"),  # credit the new wallet
        (TRANSFERS, "insert_one"),
        (ENTRIES, "insert_many"),
    ]
    assert len({id(call.session) for call in database.calls}) == 1 and client.commits == 1
    assert isinstance(user.pk, ObjectId) and not user._state.adding
    wallet = next(d for d in database[ACCOUNTS].documents.values() if d.get("user_id") == user.pk)
    assert wallet["balance"] == 2_500 and balances(database)[ISSUANCE] == -1_050 - 2_500
    (grant,) = database[TRANSFERS].documents.values()
    assert grant["kind"] == "grant" and grant["sender_id"] == ISSUANCE


def test_signup_with_a_taken_email_is_a_unique_violation_on_email_and_writes_nothing(store, client, database):
    database[USERS].documents[ObjectId()] = {"_id": ObjectId(), "email": "taken@example.com"}
    before = database.snapshot()
    with pytest.raises(UniqueViolation) as raised:
        sign_up(store, User(email="taken@example.com", first_name="A", last_name="B", password="x"), 100)
    assert raised.value.fields == {"email"}
    assert database.snapshot() == before and client.commits == 0


def test_signup_creates_the_issuance_account_when_missing(store, database):
    database[ACCOUNTS].documents.pop(ISSUANCE)
    sign_up(store, User(email="first@example.com", first_name="F", last_name="P", password="x"), 100)
    issuance = [d for d in database[ACCOUNTS].documents.values() if d["kind"] == "issuance"]
    assert len(issuance) == 1 and issuance[0]["balance"] == -100


def test_open_accounts_bulk_writes_what_sign_up_writes_in_one_transaction(store, client, database):
    people = [User(email=f"b{n}@example.com", first_name="B", last_name=str(n), password="x") for n in range(3)]

    accounts_open_bulk(users=people, grants=[100, 200, 300], store=store)

    assert client.commits == 1 and len(client.sessions) == 1
    assert all(isinstance(p.pk, ObjectId) and not p._state.adding for p in people)
    wallets = {d["user_id"]: d for d in database[ACCOUNTS].documents.values() if d["kind"] == "user" and d["user_id"]}
    assert [wallets[p.pk]["balance"] for p in people] == [100, 200, 300]
    assert balances(database)[ISSUANCE] == -1_050 - 600
    grants = [t for t in database[TRANSFERS].documents.values() if t["kind"] == "grant"]
    assert len(grants) == 3 and {t["sender_id"] for t in grants} == {ISSUANCE}
    issuance_entries = sorted(
        (e["balance_after"] for e in database[ENTRIES].documents.values() if e["account_id"] == ISSUANCE), reverse=True
    )
    assert issuance_entries == [-1_150, -1_350, -1_650]


def test_documents_are_what_the_orm_would_write_and_read(mongo_connection):
    transfer = Transfer(kind="transfer", sender_id=SENDER, recipient_id=RECIPIENT, amount=5, note="rent")
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

    read = instance_of(Transfer, document, mongo_connection)
    assert (read.pk, read.public_id, read.sender_id, read.amount, read.note) == (
        transfer.pk,
        transfer.public_id,
        SENDER,
        5,
        "rent",
    )
    assert read.created_at == transfer.created_at.replace(microsecond=read.created_at.microsecond)


def test_healthz_reports_a_standalone_mongodb(store, monkeypatch):
    import accounts.stores.mongo as mongo_store

    monkeypatch.setattr(mongo_store, "transactions_supported", lambda connection=None: False)
    health = MongoDatabaseHealth(store.connection).health()
    assert health.status == DEGRADED and not health.serving
    assert "rs.initiate()" in health.database["help"] and health.database["transactions"] == "unavailable"
    monkeypatch.setattr(mongo_store, "transactions_supported", lambda connection=None: True)
    assert MongoDatabaseHealth(store.connection).health().status == OK


class TestVerifyLedgerOnMongoDB:
    """verify_ledger's MongoDB pipelines, run by mongomock on a ledger the store wrote."""

    @pytest.fixture
    def ledger_on_mongomock(self, store, database):
        import mongomock

        database[ACCOUNTS].documents.clear()  # start from nothing: the store builds it all
        people = [User(email=f"p{n}@example.com", first_name="P", last_name=str(n), password="x") for n in range(3)]
        for person in people:
            sign_up(store, person, 1_000)
        wallets = {d["user_id"]: d["_id"] for d in database[ACCOUNTS].documents.values() if d["kind"] == "user"}
        a, b, c = (wallets[p.pk] for p in people)
        for sender, recipient, amount in [(a, b, 300), (b, c, 700), (c, a, 50), (a, c, 10)]:
            send(store, amount=amount, sender=sender, recipient=recipient)
        original = send(store, amount=20, sender=b, recipient=a)
        ledger.post(Movement("reversal", a, b, 20, note="sent by mistake", reverses=original.transfer.pk), store=store)
        TestCollectionValidators.approve_an_adjustment(None, store, wallet=c)
        mock = mongomock.MongoClient().wallet
        for name, collection in database.collections.items():
            if collection.documents:
                mock[name].insert_many(list(collection.documents.values()))
        return mock, (a, b, c)

    def verify(self, mock):
        from accounts.stores.mongo_checks import mongo_ledger_verify

        return mongo_ledger_verify(mock)

    def test_clean_ledger_passes(self, ledger_on_mongomock):
        mock, _ = ledger_on_mongomock
        report = self.verify(mock)
        assert report.ok, report.breaches
        assert (report.accounts, report.transfers, report.entries) == (5, 10, 20)

    def test_edited_balance_is_reported(self, ledger_on_mongomock):
        mock, (a, _, _) = ledger_on_mongomock
        mock[ACCOUNTS].update_one({"_id": a}, {"$inc": {"balance": 1}})
        breaches = " ".join(self.verify(mock).breaches)
        assert "differs from the sum of its entries" in breaches and "sum to 1 paise" in breaches

    def test_missing_entry_is_reported(self, ledger_on_mongomock):
        mock, (a, _, _) = ledger_on_mongomock
        mock[ENTRIES].delete_one({"account_id": a, "amount": -300})
        assert "not exactly -amount on the sender" in " ".join(self.verify(mock).breaches)

    def test_broken_balance_chain_is_reported(self, ledger_on_mongomock):
        mock, (_, b, _) = ledger_on_mongomock
        mock[ENTRIES].update_one({"account_id": b, "amount": 300}, {"$inc": {"balance_after": 5}})
        assert any("chain" in line for line in self.verify(mock).breaches)

    def test_negative_user_balance_is_reported(self, ledger_on_mongomock):
        mock, (a, _, _) = ledger_on_mongomock
        mock[ACCOUNTS].update_one({"_id": a}, {"$set": {"balance": -5}})
        assert any("below zero" in line for line in self.verify(mock).breaches)

    def test_a_reversal_that_does_not_mirror_its_original_is_reported(self, ledger_on_mongomock):
        mock, _ = ledger_on_mongomock
        mock[TRANSFERS].update_one({"kind": "reversal"}, {"$inc": {"amount": 1}})
        assert any("does not mirror" in line for line in self.verify(mock).breaches)

    def test_a_transfer_reversed_twice_is_reported(self, ledger_on_mongomock):
        mock, (a, b, _) = ledger_on_mongomock
        reversal = mock[TRANSFERS].find_one({"kind": "reversal"})
        mock[TRANSFERS].insert_one({**reversal, "_id": ObjectId()})
        assert any("reversed more than once" in line for line in self.verify(mock).breaches)

    def test_a_transfer_between_accounts_its_kind_forbids_is_reported(self, ledger_on_mongomock):
        mock, (a, _, _) = ledger_on_mongomock
        mock[TRANSFERS].update_one({"kind": "transfer", "sender_id": a}, {"$set": {"kind": "grant"}})
        assert any("its kind does not allow" in line for line in self.verify(mock).breaches)

    def test_an_adjustment_approved_by_its_proposer_is_reported(self, ledger_on_mongomock):
        mock, _ = ledger_on_mongomock
        proposal = mock["accounts_adjustmentproposal"].find_one({})
        mock["accounts_adjustmentproposal"].update_one(
            {"_id": proposal["_id"]}, {"$set": {"decided_by_id": proposal["proposed_by_id"]}}
        )
        assert any("decided by the operator who proposed it" in line for line in self.verify(mock).breaches)

    def test_an_adjustment_without_an_approved_proposal_is_reported(self, ledger_on_mongomock):
        mock, _ = ledger_on_mongomock
        mock["accounts_adjustmentproposal"].update_one({}, {"$set": {"status": "rejected"}})
        assert any("adjustment without an approved proposal" in line for line in self.verify(mock).breaches)

    def test_an_approved_adjustment_that_does_not_match_its_transfer_is_reported(self, ledger_on_mongomock):
        mock, _ = ledger_on_mongomock
        mock["accounts_adjustmentproposal"].update_one({}, {"$inc": {"amount": 1}})
        assert any("does not match it" in line for line in self.verify(mock).breaches)


class TestCollectionValidators:
    """MongoDB's own guard of the invariants (accounts/stores/mongo_validators.py), tested
    offline: a validator is a query, so mongomock's `find` evaluates it."""

    @pytest.fixture
    def written(self, store, database):
        """Every kind of document the store writes: sign-ups, bulk sign-ups, transfers, a
        refusal and a success remembered under keys, a reversal, an approved adjustment, money
        requests paid and pending."""
        database[ACCOUNTS].documents.clear()
        people = [User(email=f"v{n}@example.com", first_name="V", last_name=str(n), password="x") for n in range(2)]
        for person in people:
            sign_up(store, person, 1_000)
        accounts_open_bulk(
            users=[User(email="bulk@example.com", first_name="B", last_name="K", password="x")],
            grants=[500],
            store=store,
        )
        a, b = (next(d["_id"] for d in database[ACCOUNTS].documents.values() if d["user_id"] == p.pk) for p in people)
        original = send(store, amount=300, sender=a, recipient=b, key="ok")
        emptied = User(email="empty@example.com", first_name="E", last_name="Mpty", password="x")
        sign_up(store, emptied, 100)
        emptied_wallet = next(d["_id"] for d in database[ACCOUNTS].documents.values() if d["user_id"] == emptied.pk)
        send(store, amount=100, sender=emptied_wallet, recipient=a)  # a wallet at exactly ₹0.00 is valid
        with pytest.raises(InsufficientBalance):
            send(store, amount=5_000, sender=a, recipient=b, key="too-much")
        ledger.post(Movement("reversal", b, a, 300, note="by mistake", reverses=original.transfer.pk), store=store)
        self.approve_an_adjustment(store, wallet=a)
        self.ask_and_pay(store, people, wallets=(a, b))
        return database

    def ask_and_pay(self, store, people, *, wallets):
        """Two money requests, as accounts.money_requests writes them: one paid, one pending."""
        from datetime import timedelta

        from django.utils import timezone

        from accounts.models import MoneyRequest
        from accounts.money_requests import RequestSource

        requester, payer = people
        soon = timezone.now() + timedelta(days=7)
        paid, pending = (
            MoneyRequest(requester=requester, payer=payer, amount=amount, note="tea", expires_at=soon)
            for amount in (40, 60)
        )
        store.run(lambda unit: [unit.insert(paid), unit.insert(pending)])
        movement = Movement("request", wallets[1], wallets[0], 40, note="tea")
        assert isinstance(ledger.post(movement, source=RequestSource(paid), store=store), ledger.Posted)
        statuses = {d["status"] for d in store.database["accounts_moneyrequest"].documents.values()}
        assert statuses == {"paid", "pending"}

    def approve_an_adjustment(self, store, *, wallet):
        """A proposal and its approval, as accounts.operations writes them."""
        from types import SimpleNamespace

        from accounts.models import AdjustmentProposal
        from accounts.operations import ProposalSource

        proposer, approver = SimpleNamespace(pk=ObjectId()), SimpleNamespace(pk=ObjectId())
        proposal = AdjustmentProposal(account_id=wallet, direction="credit", amount=250, reason="goodwill")
        proposal.proposed_by_id = proposer.pk
        store.run(lambda unit: unit.insert(proposal))

        def approve(unit):
            adjustment = unit.system_account(Account.Kind.ADJUSTMENT)
            movement = Movement("adjustment", adjustment, wallet, 250, note="goodwill")
            return ledger.post_in(unit, movement, source=ProposalSource(proposal=proposal, operator=approver))

        assert isinstance(store.run(approve), ledger.Posted)

    def mongomock_of(self, database):
        import mongomock

        mock = mongomock.MongoClient().wallet
        for name, collection in database.collections.items():
            if collection.documents:
                mock[name].insert_many(list(collection.documents.values()))
        return mock

    def test_every_sql_check_constraint_has_its_rule(self):
        from django.apps import apps
        from django.db.models import CheckConstraint

        from accounts.stores.mongo_validators import RULES

        constraints = {
            constraint.name: model._meta.db_table
            for app in ("accounts", "users")
            for model in apps.get_app_config(app).get_models()
            for constraint in model._meta.constraints
            if isinstance(constraint, CheckConstraint)
        }
        assert {name: collection for name, (collection, _) in RULES.items()} == constraints

    def test_every_document_the_store_writes_matches_its_validator(self, written):
        from accounts.stores.mongo_validators import VALIDATORS

        mock = self.mongomock_of(written)
        for collection, validator in VALIDATORS.items():
            stored = mock[collection].count_documents({})
            assert stored > 0, f"the scenario wrote no {collection}"
            assert mock[collection].count_documents(validator) == stored, collection

    @pytest.mark.parametrize(
        "rule, collection, breaking",
        [
            ("account_user_balance_not_negative", ACCOUNTS, {"kind": "user", "user_id": ObjectId(), "balance": -1}),
            ("account_kind_matches_owner", ACCOUNTS, {"kind": "user", "user_id": None, "balance": 0}),
            ("account_kind_matches_owner", ACCOUNTS, {"kind": "issuance", "user_id": ObjectId(), "balance": 0}),
            (
                "transfer_amount_positive",
                TRANSFERS,
                {"amount": 0, "sender_id": SENDER, "recipient_id": RECIPIENT, "kind": "transfer", "reverses_id": None},
            ),
            (
                "transfer_amount_positive",
                TRANSFERS,
                {"amount": -5, "sender_id": SENDER, "recipient_id": RECIPIENT, "kind": "transfer", "reverses_id": None},
            ),
            (
                "transfer_not_to_self",
                TRANSFERS,
                {"amount": 5, "sender_id": SENDER, "recipient_id": SENDER, "kind": "transfer", "reverses_id": None},
            ),
            (
                "transfer_reversal_links_original",
                TRANSFERS,
                {"amount": 5, "sender_id": SENDER, "recipient_id": RECIPIENT, "kind": "reversal", "reverses_id": None},
            ),
            (
                "transfer_reversal_links_original",
                TRANSFERS,
                {
                    "amount": 5,
                    "sender_id": SENDER,
                    "recipient_id": RECIPIENT,
                    "kind": "transfer",
                    "reverses_id": ObjectId(),
                },
            ),
            ("entry_amount_not_zero", ENTRIES, {"amount": 0, "balance_after": 0}),
            ("user_email_lowercase", USERS, {"email": "Mixed@Example.com"}),
            ("idempotency_one_outcome", IDEMPOTENCY, {"error_code": "", "transfer_id": None}),
            ("idempotency_one_outcome", IDEMPOTENCY, {"error_code": "insufficient_balance", "transfer_id": ObjectId()}),
        ],
    )
    def test_a_document_breaking_each_rule_is_refused(self, rule, collection, breaking):
        import mongomock

        from accounts.stores.mongo_validators import RULES, VALIDATORS

        mock = mongomock.MongoClient().wallet[collection]
        mock.insert_one(breaking)
        assert RULES[rule][0] == collection
        assert mock.count_documents(RULES[rule][1]) == 0, "the rule lets it through"
        assert mock.count_documents(VALIDATORS[collection]) == 0, "the collection's validator lets it through"

    def test_the_latest_validator_migration_issues_exactly_these_validators(self):
        import importlib
        import pkgutil

        import mongo_migrations.accounts as migrations_package
        from accounts.stores.mongo_validators import VALIDATORS

        with_validators = sorted(
            name
            for _, name, _ in pkgutil.iter_modules(migrations_package.__path__)
            if hasattr(importlib.import_module(f"mongo_migrations.accounts.{name}"), "VALIDATORS")
        )
        latest = importlib.import_module(f"mongo_migrations.accounts.{with_validators[-1]}")
        commands, indexes = [], []

        class RecordingDatabase:
            def command(self, name, collection, **options):
                commands.append((name, collection, options))

            def __getitem__(self, collection):
                class Collection:
                    def create_index(self, key, **options):
                        indexes.append((collection, key, options))

                return Collection()

        class SchemaEditor:
            class connection:
                database = RecordingDatabase()

        (operation,) = latest.Migration.operations
        operation.code(None, SchemaEditor())
        assert commands == [
            ("collMod", collection, {"validator": validator, "validationLevel": "strict", "validationAction": "error"})
            for collection, validator in VALIDATORS.items()
        ]
        assert indexes == [
            ("token_revocations", "jti", {"unique": True, "name": "token_revocation_jti"}),
            ("token_revocations", "expires_at", {"expireAfterSeconds": 0, "name": "token_revocation_expiry"}),
        ]


class TestOperatorsOnMongoDB:
    """The operators' services (accounts/operations.py) on the MongoDB store: the same units of
    work, their primitives recorded by the fake."""

    @pytest.fixture
    def operations(self, store, monkeypatch):
        from types import SimpleNamespace

        import accounts.ledger
        import accounts.operations

        monkeypatch.setattr(accounts.operations, "ledger_store", lambda: store)
        monkeypatch.setattr(accounts.ledger, "ledger_store", lambda: store)
        monkeypatch.setattr(accounts.operations, "wallet_pk_of", lambda person: SENDER)
        operator = SimpleNamespace(pk=ObjectId(), is_active=True, is_staff=True, has_perm=lambda permission: True)
        return accounts.operations, operator

    def test_freezing_writes_the_flag_and_its_audit_entry_in_one_transaction(self, operations, client, database):
        service, operator = operations
        person = User(email="asha@example.com", first_name="Asha", last_name="Rao", password="x")

        service.wallet_set_frozen(operator=operator, person=person, frozen=True, reason="fraud report")

        assert database[ACCOUNTS].documents[SENDER]["frozen"] is True
        (entry,) = database["accounts_auditentry"].documents.values()
        assert (entry["action"], entry["reason"], entry["after"]) == ("freeze", "fraud report", {"frozen": True})
        assert client.commits == 1 and len({id(call.session) for call in database.calls}) == 1

    def test_a_reversal_is_posted_once_with_its_audit_entry(self, operations, store, database):
        from accounts.exceptions import AlreadyReversed

        service, operator = operations
        posted = send(store, amount=300)
        original = instance_of(Transfer, database[TRANSFERS].documents[posted.transfer.pk], store.connection)

        service.transfer_reverse(operator=operator, transfer=original, reason="sent by mistake")

        assert balances(database)[SENDER] == 1_000 and balances(database)[RECIPIENT] == 50
        (reversal,) = [t for t in database[TRANSFERS].documents.values() if t["kind"] == "reversal"]
        assert reversal["reverses_id"] == original.pk and reversal["note"] == "sent by mistake"
        assert [e["action"] for e in database["accounts_auditentry"].documents.values()] == ["reverse"]
        with pytest.raises(AlreadyReversed):
            service.transfer_reverse(operator=operator, transfer=original, reason="again")
        assert len(database["accounts_auditentry"].documents) == 1


def test_a_unit_of_work_inside_another_is_a_loud_error(store, client):
    with pytest.raises(RuntimeError, match="inside another"):
        store.run(lambda unit: unit.run(lambda inner: None))
    assert client.commits == 0
