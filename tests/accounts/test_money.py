from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.exceptions import InvalidAmount
from accounts.money import MAX_TRANSFER_PAISE, format_inr, parse_rupees, rupees_json


@pytest.mark.parametrize(
    "value, paise",
    [
        (Decimal("1"), 100),
        (Decimal("0.01"), 1),
        (Decimal("10.5"), 1050),
        (Decimal("10.50"), 1050),
        (Decimal("1E+2"), 10000),
        (Decimal("1000000"), MAX_TRANSFER_PAISE),
        (Decimal("10.000"), 1000),
        ("5.000", 500),
        (Decimal("1." + "0" * 40), 100),  # zeros past the second decimal change nothing
        ("25", 2500),
        (" 25.75 ", 2575),
        (7, 700),
    ],
)
def test_valid_amounts_become_exact_paise(value, paise):
    assert parse_rupees(value) == paise


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1.001"),
        Decimal("0.001"),
        Decimal("-1"),
        Decimal("0"),
        Decimal("-0"),
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("1E+999999999"),
        Decimal("1E-999999999"),
        Decimal("1000000.01"),
        True,
        False,
        1.5,
        None,
        "",
        "abc",
        "1e2",
        "-5",
        "1.001",
        "0x10",
        "1_000",
        "١٢",  # Arabic-Indic digits
        [1],
        {"amount": 1},
        "9" * 100,
        # deep enough that Decimal's 28-digit precision would round them to whole paise
        "0.019999999999999999999999999999",
        "5.0000000000000000000000000000001",
        Decimal("0.019999999999999999999999999999"),
        Decimal("5.0000000000000000000000000000001"),
        Decimal("1." + "0" * 5000 + "1"),
    ],
)
def test_invalid_amounts_are_refused(value):
    with pytest.raises(InvalidAmount):
        parse_rupees(value)


@given(st.integers(min_value=1, max_value=MAX_TRANSFER_PAISE))
def test_paise_round_trip_through_json_numbers(paise):
    """What we send as a JSON number parses back to the same paise."""
    import json

    text = json.dumps(rupees_json(paise))
    assert parse_rupees(json.loads(text, parse_float=Decimal, parse_int=Decimal)) == paise


@pytest.mark.parametrize(
    "paise, text",
    [
        (0, "₹0.00"),
        (5, "₹0.05"),
        (100_000_00, "₹1,00,000.00"),
        (12_345_678_90, "₹1,23,45,678.90"),
        (999_99, "₹999.99"),
        (-1_000_00, "-₹1,000.00"),
    ],
)
def test_indian_digit_grouping(paise, text):
    assert format_inr(paise) == text


@pytest.mark.django_db
def test_rupees_on_pages_use_indian_grouping(make_person, client):
    """The `inr` template filter (accounts/templatetags/money.py), as a page shows it."""
    person = make_person(grant=1_000_000)
    client.force_login(person)
    assert "₹10,000.00" in client.get("/dashboard").content.decode()
