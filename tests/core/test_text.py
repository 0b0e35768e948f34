"""The one rule for names (core/text.py): a visible letter, no control, format or separator
characters, NFC, trimmed."""

import unicodedata

import pytest

from core.text import clean_name

BAD_NAMES = [
    "Evil\x1b[31mRed\x07",  # a terminal escape and a bell
    "Line\r\nBreak",
    "Tab\there\x08",
    "\u200b",  # zero-width space (Cf): invisible
    "\u3164",  # Hangul filler: a "letter" that draws nothing
    "\u2800",  # braille blank: a symbol that draws nothing
    "Asha\u202eoaR",  # a right-to-left override (Cf) reverses what follows
    "Line\u2028Separator",  # Zl
    "Para\u2029Separator",  # Zp
    "Next\u0085Line",  # NEL (Cc)
    "Zero\u200dJoiner",  # Cf
    "\ufeffBOM",  # Cf
    "",
    "   ",
    "123",  # no letter
    "-2+3",
    "\ue000Private",  # private use (Co)
]


@pytest.mark.parametrize("text", BAD_NAMES)
def test_what_cannot_be_a_name(text):
    assert clean_name(text) is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Asha", "Asha"),
        ("  Asha  ", "Asha"),
        ("O'Brien", "O'Brien"),
        ("Ana-María", "Ana-María"),
        ("Mary Ann", "Mary Ann"),
        ("李", "李"),
        ("Zoë", "Zoë"),
        ("Zoe\u0308", "Zoë"),  # the NFD spelling is stored as NFC
        ("\u0936\u094d\u0930\u0940", "\u0936\u094d\u0930\u0940"),  # Devanagari with a virama
    ],
)
def test_names_people_have(text, name):
    assert clean_name(text) == name and unicodedata.is_normalized("NFC", clean_name(text))


def test_only_text_is_a_name():
    assert clean_name(None) is None and clean_name(42) is None and clean_name(["Asha"]) is None
