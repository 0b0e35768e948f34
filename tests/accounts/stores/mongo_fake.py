"""A recording fake of the parts of pymongo the MongoDB ledger store uses.

No MongoDB server can be installed on these machines and mongomock has no sessions, so
this fake implements the driver's contract that matters here: `with_transaction` runs the
callback, commits on success, rolls every collection back on any error, and runs the
callback again when the error carries the TransientTransactionError label (as pymongo
does for WriteConflict). Every collection call is recorded with the session it got."""

import copy
from dataclasses import dataclass, field

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError


@dataclass
class Call:
    collection: str
    operation: str
    details: dict
    session: object


OPERATORS = {
    "$gte": lambda value, operand: value is not None and value >= operand,
    "$lt": lambda value, operand: value is not None and value < operand,
    "$in": lambda value, operand: value in operand,
    "$ne": lambda value, operand: value != operand,
}


def matches(document: dict, query: dict) -> bool:
    for key, expected in query.items():
        if key == "$or":
            if not any(matches(document, branch) for branch in expected):
                return False
        elif isinstance(expected, dict):
            value = document.get(key)
            if not all(OPERATORS[operator](value, operand) for operator, operand in expected.items()):
                return False
        elif document.get(key) != expected:
            return False
    return True


@dataclass
class UpdateResult:
    matched_count: int
    modified_count: int


def projected(document: dict | None, projection: dict | None) -> dict | None:
    if document is None or not projection:
        return copy.deepcopy(document)
    return {key: value for key, value in document.items() if key == "_id" or projection.get(key)}


class FakeCollection:
    def __init__(self, name: str, database: "FakeDatabase"):
        self.name, self.database = name, database
        self.documents: dict = {}
        self.unique_keys: list[tuple[str, ...]] = []
        self.failures: list[tuple[str, Exception]] = []  # (operation, error) raised once each
        self.before: dict = {}  # operation -> hook run before it (simulates other clients)

    def _enter(self, operation: str, session, **details) -> None:
        self.database.calls.append(Call(self.name, operation, details, session))
        assert session is not None and session.in_transaction, f"{self.name}.{operation} outside a transaction"
        hook = self.before.pop(operation, None)
        if hook:
            hook()
        for index, (failing_operation, error) in enumerate(self.failures):
            if failing_operation == operation:
                del self.failures[index]
                raise error

    def _check_unique(self, document: dict) -> None:
        for keys in self.unique_keys:
            if any(document.get(k) is None for k in keys):
                continue  # unique indexes of nullable fields are partial: nulls never clash
            for other in self.documents.values():
                if all(other.get(k) == document.get(k) for k in keys):
                    raise DuplicateKeyError(
                        f"E11000 duplicate key on {keys}", code=11000, details={"keyPattern": {k: 1 for k in keys}}
                    )
        if document["_id"] in self.documents:
            raise DuplicateKeyError("E11000 duplicate key on _id", code=11000, details={"keyPattern": {"_id": 1}})

    def find(self, query, projection=None, session=None):
        self._enter("find", session, filter=query)
        return [projected(d, projection) for d in self.documents.values() if matches(d, query)]

    def update_one(self, query, update, session=None):
        self._enter("update_one", session, filter=query, update=update)
        found = next((d for d in self.documents.values() if matches(d, query)), None)
        if found is None:
            return UpdateResult(0, 0)
        found.update(copy.deepcopy(update.get("$set", {})))
        for key, amount in update.get("$inc", {}).items():
            found[key] = found.get(key, 0) + amount
        return UpdateResult(1, 1)

    def find_one(self, query, session=None, projection=None):
        self._enter("find_one", session, filter=query)
        found = next((d for d in self.documents.values() if matches(d, query)), None)
        return projected(found, projection)

    def count_documents(self, query, limit=0, session=None):
        self._enter("count_documents", session, filter=query)
        count = sum(1 for d in self.documents.values() if matches(d, query))
        return min(count, limit) if limit else count

    def find_one_and_update(
        self, query, update, projection=None, return_document=ReturnDocument.BEFORE, upsert=False, session=None
    ):
        self._enter("find_one_and_update", session, filter=query, update=update, upsert=upsert)
        found = next((d for d in self.documents.values() if matches(d, query)), None)
        if found is None:
            if not upsert:
                return None
            found = {**{k: v for k, v in query.items() if not k.startswith("$")}, **update.get("$setOnInsert", {})}
            self._check_unique(found)
            self.documents[found["_id"]] = found
            return projected(found, projection)
        before = copy.deepcopy(found)
        for key, amount in update.get("$inc", {}).items():
            found[key] = found.get(key, 0) + amount
        return projected(found if return_document == ReturnDocument.AFTER else before, projection)

    def insert_one(self, document, session=None):
        self._enter("insert_one", session, document=document)
        self._check_unique(document)
        self.documents[document["_id"]] = copy.deepcopy(document)

    def insert_many(self, documents, session=None):
        documents = list(documents)
        self._enter("insert_many", session, documents=documents)
        for document in documents:
            self._check_unique(document)
            self.documents[document["_id"]] = copy.deepcopy(document)


class FakeDatabase:
    def __init__(self):
        self.collections: dict[str, FakeCollection] = {}
        self.calls: list[Call] = []
        self.committed_elsewhere: list[tuple[str, dict]] = []

    def commit_from_another_client(self, name: str, document: dict) -> None:
        """A write another client committed: our aborts never take it back."""
        self.committed_elsewhere.append((name, copy.deepcopy(document)))
        self[name].documents[document["_id"]] = copy.deepcopy(document)

    def __getitem__(self, name: str) -> FakeCollection:
        return self.collections.setdefault(name, FakeCollection(name, self))

    def snapshot(self) -> dict:
        return {name: copy.deepcopy(c.documents) for name, c in self.collections.items()}

    def restore(self, snapshot: dict) -> None:
        for name, collection in self.collections.items():
            collection.documents = snapshot.get(name, {})
        for name, document in self.committed_elsewhere:
            self[name].documents[document["_id"]] = copy.deepcopy(document)


@dataclass
class FakeSession:
    client: "FakeClient"
    in_transaction: bool = False
    ended: bool = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.ended = True

    def with_transaction(self, callback, read_concern=None, write_concern=None, read_preference=None):
        self.client.transaction_options.append(
            {"read_concern": read_concern, "write_concern": write_concern, "read_preference": read_preference}
        )
        if self.client.standalone:
            raise OperationFailure("Transaction numbers are only allowed on a replica set member or mongos", code=20)
        while True:
            snapshot = self.client.database.snapshot()
            self.in_transaction = True
            try:
                result = callback(self)
            except PyMongoError as error:
                self.in_transaction = False
                self.client.database.restore(snapshot)
                self.client.aborts += 1
                if error.has_error_label("TransientTransactionError") and self.client.retries < 5:
                    self.client.retries += 1
                    continue
                raise
            except BaseException:
                self.in_transaction = False
                self.client.database.restore(snapshot)
                self.client.aborts += 1
                raise
            self.in_transaction = False
            self.client.commits += 1
            return result


@dataclass
class FakeClient:
    database: FakeDatabase
    standalone: bool = False
    commits: int = 0
    aborts: int = 0
    retries: int = 0
    sessions: list = field(default_factory=list)
    transaction_options: list = field(default_factory=list)
    refuse_connections: Exception | None = None

    def start_session(self):
        if self.refuse_connections is not None:
            raise self.refuse_connections
        session = FakeSession(self)
        self.sessions.append(session)
        return session


def write_conflict() -> OperationFailure:
    error = OperationFailure("WriteConflict error: this operation conflicted with another operation", code=112)
    error._add_error_label("TransientTransactionError")
    return error
