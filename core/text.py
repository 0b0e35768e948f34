"""Text people type that must stay one plain line (names, notes, reasons)."""

import re

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL_CHARACTERS.search(text))
