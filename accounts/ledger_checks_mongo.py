"""The ledger invariants of accounts/ledger_checks.py, checked on MongoDB with pymongo
aggregation pipelines on the collections the ORM writes.

One difference: ObjectIds made by different processes in the same second are not in
commit order, so the running-balance check does not walk entries by id. It checks the
chain instead, which needs no order: every entry's balance before the move (balance_after
minus amount) must be the account's start (0) or another entry's balance after, each used
once, and the one balance after that nothing follows is the account's balance."""

from collections import Counter, defaultdict

from accounts.ledger_checks import SHOW_AT_MOST, LedgerReport
from accounts.models import Account, IdempotencyRecord, LedgerEntry, Transfer


def mongo_ledger_verify(database) -> LedgerReport:
    accounts = database[Account._meta.db_table]
    transfers = database[Transfer._meta.db_table]
    entries = database[LedgerEntry._meta.db_table]
    records = database[IdempotencyRecord._meta.db_table]
    report = LedgerReport(
        accounts=accounts.count_documents({}),
        transfers=transfers.count_documents({}),
        entries=entries.count_documents({}),
    )

    sums = {
        row["_id"]: row["total"]
        for row in entries.aggregate([{"$group": {"_id": "$account_id", "total": {"$sum": "$amount"}}}])
    }
    by_id, differing, negative = {}, [], []
    for account in accounts.find({}, {"balance": 1, "kind": 1, "user_id": 1}):
        by_id[account["_id"]] = account
        if account["balance"] != sums.get(account["_id"], 0):
            differing.append((str(account["_id"]), account["balance"], sums.get(account["_id"], 0)))
        if account["kind"] == Account.Kind.USER and account["balance"] < 0:
            negative.append((str(account["_id"]), account["balance"]))
        report.total_balance += account["balance"]
    report.breach("balance differs from the sum of its entries (account, balance, sum)", differing)
    if report.total_balance != 0:
        report.breaches.append(f"balances of all accounts sum to {report.total_balance} paise, not 0")
    entries_total = sum(sums.values())
    if entries_total != 0:
        report.breaches.append(f"ledger entries sum to {entries_total} paise, not 0")
    report.breach("user account below zero (account, balance)", negative)
    if sum(1 for a in by_id.values() if a["kind"] == Account.Kind.ISSUANCE) > 1:
        report.breaches.append("more than one issuance account")

    legs = {
        row["_id"]: row["legs"]
        for row in entries.aggregate(
            [{"$group": {"_id": "$transfer_id", "legs": {"$push": {"account": "$account_id", "amount": "$amount"}}}}]
        )
    }
    unbalanced, wrong_kind, senders = [], [], {}
    for transfer in transfers.find({}, {"sender_id": 1, "recipient_id": 1, "amount": 1, "kind": 1, "public_id": 1}):
        senders[transfer["_id"]] = transfer["sender_id"]
        expected = sorted(
            [(transfer["sender_id"], -transfer["amount"]), (transfer["recipient_id"], transfer["amount"])],
            key=lambda leg: leg[1],
        )
        found = sorted(
            ((leg["account"], leg["amount"]) for leg in legs.get(transfer["_id"], [])), key=lambda leg: leg[1]
        )
        if found != expected:
            unbalanced.append(str(transfer["public_id"]))
        from_issuance = by_id.get(transfer["sender_id"], {}).get("kind") == Account.Kind.ISSUANCE
        to_issuance = by_id.get(transfer["recipient_id"], {}).get("kind") == Account.Kind.ISSUANCE
        if (transfer["kind"] == Transfer.Kind.GRANT) != from_issuance or to_issuance:
            wrong_kind.append(str(transfer["public_id"]))
    report.breach(
        "transfer whose entries are not exactly -amount on the sender and +amount on the recipient", unbalanced
    )
    report.breach("starting grant not from the issuance account, or a transfer that is (transfer)", wrong_kind)
    orphans = [str(t) for t in legs if t not in senders]
    report.breach("entries of a transfer that does not exist (transfer)", orphans)

    foreign = [
        str(record["_id"])
        for record in records.find({"transfer_id": {"$ne": None}}, {"transfer_id": 1, "user_id": 1})
        if by_id.get(senders.get(record["transfer_id"]), {}).get("user_id") != record["user_id"]
    ]
    report.breach("idempotency record pointing at another user's transfer (record)", foreign)
    report.breach(
        "balance_after values that do not chain from 0 to the balance (account)", _broken_chains(entries, by_id)
    )
    return report


def _broken_chains(entries, accounts_by_id) -> list:
    befores, afters = defaultdict(Counter), defaultdict(Counter)
    for entry in entries.find({}, {"account_id": 1, "amount": 1, "balance_after": 1}):
        befores[entry["account_id"]][entry["balance_after"] - entry["amount"]] += 1
        afters[entry["account_id"]][entry["balance_after"]] += 1
    broken = []
    for account_id, before in befores.items():
        balance = accounts_by_id.get(account_id, {}).get("balance")
        expected = afters[account_id] + Counter({0: 1})
        expected[balance] -= 1
        if +expected != before:
            broken.append(str(account_id))
            if len(broken) > SHOW_AT_MOST:
                break
    return broken
