"""The one ledger algorithm (accounts/ledger.py, accounts/movements.py): each kind's rules,
refusals as outcomes, and the algorithm written once (no store carries its decisions)."""

import ast
from pathlib import Path

import pytest

from accounts import ledger
from accounts.exceptions import AccountFrozen, InsufficientBalance, InvalidAccount
from accounts.models import Account, Transfer
from accounts.movements import AccountState, Movement, check

PROJECT = Path(__file__).resolve().parents[2]


def wallet(pk, kind="user", balance=1_000, frozen=False) -> AccountState:
    return AccountState(pk=pk, kind=kind, balance=balance, frozen=frozen)


@pytest.mark.parametrize(
    "kind, sender, recipient, amount, refused",
    [
        ("transfer", wallet(1), wallet(2), 1_000, None),
        ("transfer", wallet(1), wallet(2), 1_001, InsufficientBalance),
        ("transfer", wallet(1, frozen=True), wallet(2), 1, AccountFrozen),
        ("transfer", wallet(1), wallet(2, frozen=True), 1, InvalidAccount),
        ("transfer", wallet(1), wallet(1), 1, InvalidAccount),
        ("transfer", wallet(1), None, 1, InvalidAccount),
        ("transfer", wallet(1, kind="issuance", balance=-5), wallet(2), 1, InvalidAccount),
        ("request", wallet(1, frozen=True), wallet(2), 1, AccountFrozen),
        ("grant", wallet(1, kind="issuance", balance=-5), wallet(2), 500, None),
        ("grant", wallet(1), wallet(2), 1, InvalidAccount),
        ("reversal", wallet(1, frozen=True), wallet(2, frozen=True), 1_000, None),
        ("reversal", wallet(1), wallet(2), 1_001, InsufficientBalance),
        ("adjustment", wallet(1, kind="adjustment", balance=0), wallet(2, frozen=True), 5, None),
        ("adjustment", wallet(1, frozen=True), wallet(2, kind="adjustment", balance=-9), 1_000, None),
        ("adjustment", wallet(1), wallet(2, kind="adjustment"), 1_001, InsufficientBalance),
        ("adjustment", wallet(1), wallet(2), 1, InvalidAccount),
    ],
)
def test_each_kind_obeys_its_rules(kind, sender, recipient, amount, refused):
    movement = Movement(kind, 1, 2, amount)
    assert check(movement, sender, recipient) is refused


@pytest.mark.django_db
def test_a_refused_movement_changes_nothing_and_says_why(make_person):
    asha, bilal = make_person("Asha", grant=100), make_person("Bilal")
    Account.objects.filter(user=asha).update(frozen=True)
    outcome = ledger.post(Movement("transfer", asha.account.pk, bilal.account.pk, 50))
    assert outcome == ledger.Refused("account_frozen")
    assert isinstance(outcome.error(), AccountFrozen)
    assert Transfer.objects.filter(kind="transfer").count() == 0


def test_the_algorithm_is_written_once():
    """No store carries its own copy of the algorithm's decisions: the stores never import
    the algorithm, the contract's errors or the function that applies the kinds' rules
    (the ledger checks read the rules themselves, to verify what was stored)."""
    for path in (PROJECT / "accounts" / "stores").glob("*.py"):
        imports = [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.ImportFrom)]
        assert not {node.module for node in imports} & {"accounts.ledger", "accounts.exceptions", "accounts.services"}
        from_movements = {alias.name for node in imports if node.module == "accounts.movements" for alias in node.names}
        assert "check" not in from_movements, path.name
