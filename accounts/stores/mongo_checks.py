"""The ledger invariants of accounts/stores/sql_checks.py, checked on MongoDB with pymongo
aggregation pipelines on the collections the ORM writes.

One difference: ObjectIds made by different processes in the same second are not in
commit order, so the running-balance check does not walk entries by id. It checks the
chain instead, which needs no order: every entry's balance before the move (balance_after
minus amount) must be the account's start (0) or another entry's balance after, each used
once, and the one balance after that nothing follows is the account's balance."""

from collections import Counter, defaultdict

from accounts.models import Account, AdjustmentProposal, IdempotencyRecord, LedgerEntry, Transfer
from accounts.movements import RULES
from accounts.stores.base import SHOW_AT_MOST, LedgerReport


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
    system_kinds = Counter(a["kind"] for a in by_id.values() if a["kind"] != Account.Kind.USER)
    report.breach(
        "more than one system account of a kind (kind, count)", [(k, n) for k, n in system_kinds.items() if n > 1]
    )

    legs = {
        row["_id"]: row["legs"]
        for row in entries.aggregate(
            [{"$group": {"_id": "$transfer_id", "legs": {"$push": {"account": "$account_id", "amount": "$amount"}}}}]
        )
    }
    unbalanced, wrong_kind, senders, by_transfer = [], [], {}, {}
    fields = {"sender_id": 1, "recipient_id": 1, "amount": 1, "kind": 1, "public_id": 1, "reverses_id": 1}
    for transfer in transfers.find({}, fields):
        senders[transfer["_id"]] = transfer["sender_id"]
        by_transfer[transfer["_id"]] = transfer
        expected = sorted(
            [(transfer["sender_id"], -transfer["amount"]), (transfer["recipient_id"], transfer["amount"])],
            key=lambda leg: leg[1],
        )
        found = sorted(
            ((leg["account"], leg["amount"]) for leg in legs.get(transfer["_id"], [])), key=lambda leg: leg[1]
        )
        if found != expected:
            unbalanced.append(str(transfer["public_id"]))
        rules = RULES.get(transfer["kind"])
        sender_kind = by_id.get(transfer["sender_id"], {}).get("kind")
        recipient_kind = by_id.get(transfer["recipient_id"], {}).get("kind")
        if rules is None or sender_kind not in rules.senders or recipient_kind not in rules.recipients:
            wrong_kind.append(str(transfer["public_id"]))
    report.breach(
        "transfer whose entries are not exactly -amount on the sender and +amount on the recipient", unbalanced
    )
    report.breach("transfer between accounts its kind does not allow (transfer)", wrong_kind)
    report.breach("reversal that does not mirror its original (reversal)", _broken_reversals(by_transfer))
    _check_adjustments(report, database[AdjustmentProposal._meta.db_table], by_transfer)
    reversed_counts = Counter(t.get("reverses_id") for t in by_transfer.values() if t.get("reverses_id") is not None)
    report.breach(
        "transfer reversed more than once (transfer, reversals)",
        [(str(by_transfer.get(pk, {}).get("public_id", pk)), n) for pk, n in reversed_counts.items() if n > 1],
    )
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


def _check_adjustments(report: LedgerReport, proposals, by_transfer: dict) -> None:
    approved = {}
    mismatched, own = [], []
    for proposal in proposals.find({}):
        if proposal.get("decided_by_id") is not None and proposal["decided_by_id"] == proposal["proposed_by_id"]:
            own.append(str(proposal["public_id"]))
        if proposal["status"] != AdjustmentProposal.Status.APPROVED:
            continue
        approved[proposal.get("transfer_id")] = proposal
        transfer = by_transfer.get(proposal.get("transfer_id"))
        side = "recipient_id" if proposal["direction"] == AdjustmentProposal.Direction.CREDIT else "sender_id"
        if (
            transfer is None
            or transfer["kind"] != Transfer.Kind.ADJUSTMENT
            or transfer["amount"] != proposal["amount"]
            or transfer[side] != proposal["account_id"]
        ):
            mismatched.append(str(proposal["public_id"]))
    orphans = [
        str(t["public_id"])
        for pk, t in by_transfer.items()
        if t["kind"] == Transfer.Kind.ADJUSTMENT and pk not in approved
    ]
    report.breach("adjustment without an approved proposal (transfer)", orphans)
    report.breach("approved adjustment whose transfer does not match it (proposal)", mismatched)
    report.breach("adjustment decided by the operator who proposed it (proposal)", own)


def _broken_reversals(by_transfer: dict) -> list:
    broken = []
    for transfer in by_transfer.values():
        original = by_transfer.get(transfer.get("reverses_id"))
        is_reversal = transfer["kind"] == Transfer.Kind.REVERSAL
        mirrors = original is not None and (
            original["kind"] in (Transfer.Kind.TRANSFER, Transfer.Kind.REQUEST)
            and original["sender_id"] == transfer["recipient_id"]
            and original["recipient_id"] == transfer["sender_id"]
            and original["amount"] == transfer["amount"]
        )
        if is_reversal != (transfer.get("reverses_id") is not None) or (is_reversal and not mirrors):
            broken.append(str(transfer["public_id"]))
    return broken


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
