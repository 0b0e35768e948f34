"""Every page of the "Wallet operations" console (Django's admin discovers this package):
people (people.py) and money (money.py: wallets, transfers, entries, adjustments, the audit
log, ledger checks). Nothing here edits a balance or a ledger row; the operators' actions are
services of the apps whose models they change (accounts/operations.py)."""

from console.admin import money, people  # noqa: F401  registers the ModelAdmins
