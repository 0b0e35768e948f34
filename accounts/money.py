"""Money at the edges: rupees in, integer paise inside, rupees out.

Amounts arrive as JSON numbers (already `Decimal`, see ExactJSONParser) or numeric
strings. Floats are refused outright: by the time a value is a float it may already
have lost the paisa it was meant to carry.
"""

import re
from decimal import Decimal, InvalidOperation

from accounts.exceptions import InvalidAmount

PAISE_PER_RUPEE = 100
MAX_TRANSFER_RUPEES = Decimal(1_000_000)  # ₹10,00,000 per transfer
MAX_TRANSFER_PAISE = int(MAX_TRANSFER_RUPEES) * PAISE_PER_RUPEE
STARTING_GRANT_MIN_PAISE = 1_00  # ₹1.00
STARTING_GRANT_MAX_PAISE = 10_000_00  # ₹10,000.00

_NUMERIC_STRING = re.compile(r"^\s*[0-9]+(\.[0-9]+)?\s*$")


def parse_rupees(value) -> int:
    """The amount in paise, or InvalidAmount: > 0, at most 2 decimals, at most the cap."""
    if isinstance(value, (bool, float)):
        raise InvalidAmount()
    if isinstance(value, str):
        if not _NUMERIC_STRING.match(value) or len(value) > 32:
            raise InvalidAmount()
        value = value.strip()
    elif not isinstance(value, (int, Decimal)):
        raise InvalidAmount()
    try:
        rupees = Decimal(value)
    except (InvalidOperation, ValueError):
        raise InvalidAmount() from None
    # adjusted() < -2 is below one paisa: checked before scaling, where a tiny enough
    # value (1E-999999999) would underflow to zero paise instead of failing.
    if not rupees.is_finite() or rupees <= 0 or rupees > MAX_TRANSFER_RUPEES or rupees.adjusted() < -2:
        raise InvalidAmount()
    return exact_paise(rupees)


def exact_paise(rupees: Decimal) -> int:
    """Rupees (positive, finite, at most the cap) as whole paise, in integers: Decimal
    arithmetic rounds at 28 significant digits, which would make 0.019999999999999999999999999999
    two paise. Every digit past the second decimal must be zero (5.000 is 500 paise; 5.001 and
    5.0000000000000000000000000000001 are refused), however many there are."""
    _, digits, exponent = rupees.as_tuple()
    # Digit i stands for 10 ** (exponent + len(digits) - 1 - i): the first `kept` reach the paisa.
    kept = max(0, min(len(digits), exponent + len(digits) + 2))
    if any(digits[kept:]):
        raise InvalidAmount()  # more than two decimals
    coefficient = int("".join(map(str, digits[:kept])) or "0")  # at most a few digits below the cap
    return coefficient * 10 ** (exponent + len(digits) - kept + 2)


def is_valid_paise(amount) -> bool:
    """An amount a movement may carry: whole paise (never a bool), more than 0, at most the cap."""
    return isinstance(amount, int) and not isinstance(amount, bool) and 0 < amount <= MAX_TRANSFER_PAISE


def rupees_json(paise: int) -> float | int:
    """A JSON number exact to the paisa: integral amounts stay ints, others the shortest
    float that round-trips the two decimals (a correctly rounded paise/100)."""
    return paise // PAISE_PER_RUPEE if paise % PAISE_PER_RUPEE == 0 else paise / PAISE_PER_RUPEE


def format_inr(paise: int) -> str:
    """₹1,00,000.00 — Indian digit grouping (last three digits, then pairs)."""
    sign = "-" if paise < 0 else ""
    rupees, fraction = divmod(abs(paise), PAISE_PER_RUPEE)
    digits = str(rupees)
    head, tail = digits[:-3], digits[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    grouped = ",".join(groups + [tail]) if groups else tail
    return f"{sign}₹{grouped}.{fraction:02d}"
