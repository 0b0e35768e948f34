"""Paging, in one place: a page of rows with the cursor of the next, limits and offsets read
from a query string, and opaque cursors over a primary key."""

import base64
import binascii
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from core.errors import ServiceError

MESSAGE_INVALID_CURSOR = "Invalid cursor"
MAX_OFFSET = 10**7


class InvalidCursor(ServiceError):
    default_detail = MESSAGE_INVALID_CURSOR
    default_code = "invalid_cursor"


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def clamp_limit(raw, *, default: int, maximum: int) -> int:
    """Query-string limits never fail a request: junk means the default, and the value is
    held within 1..maximum."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return max(1, min(value, maximum))


def parse_offset(raw) -> int:
    """A page offset from the query string; junk or negative means the first page."""
    try:
        return min(max(0, int(raw)), MAX_OFFSET)
    except (TypeError, ValueError):
        return 0


def offset_page(rows: list, *, offset: int, limit: int) -> Page:
    """`rows` fetched as [offset : offset + limit + 1]: the extra row says a next page exists."""
    return Page(items=rows[:limit], next_cursor=str(offset + limit) if len(rows) > limit else None)


def keyset_page(rows: list, *, limit: int, position=lambda row: row.pk) -> Page:
    """`rows` fetched as limit + 1 in key order: the next page starts after the last shown."""
    next_cursor = encode_cursor(position(rows[limit - 1])) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


def encode_cursor(position) -> str:
    return base64.urlsafe_b64encode(str(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, model):
    """The primary key a cursor stands for, or InvalidCursor (400)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        position = model._meta.pk.to_python(raw)
    except (ValueError, binascii.Error, UnicodeError, ValidationError):
        raise InvalidCursor() from None
    if isinstance(position, int) and not 0 < position < 2**63:
        raise InvalidCursor()  # out of range for a database integer
    return position
