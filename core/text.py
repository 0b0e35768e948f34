"""Text people type that must stay one plain line (names, notes, reasons)."""

import re
import unicodedata

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# Not allowed in a name: controls (Cc), format characters such as zero-width spaces and bidi
# overrides (Cf), line and paragraph separators (Zl, Zp), and code points that are no
# character at all (surrogates, private use, unassigned).
NAME_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
# Letters that draw nothing (the Hangul fillers): a name needs a letter that shows.
INVISIBLE_LETTERS = frozenset({"\u115f", "\u1160", "\u3164", "\uffa0"})


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL_CHARACTERS.search(text))


def clean_name(text) -> str | None:
    """`text` as a person's name (NFC, trimmed), or None when it cannot be one: it needs at
    least one visible letter, and no control, format or separator characters (so no
    zero-width or bidi tricks, no line breaks, no terminal escapes)."""
    if not isinstance(text, str):
        return None
    name = unicodedata.normalize("NFC", text).strip()
    if any(unicodedata.category(character) in NAME_FORBIDDEN_CATEGORIES for character in name):
        return None
    if not any(unicodedata.category(c).startswith("L") and c not in INVISIBLE_LETTERS for c in name):
        return None
    return name
