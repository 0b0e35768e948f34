"""Public ids (`_id`, transfer and request ids) as they arrive: text that should be a UUID."""

import uuid

PUBLIC_ID_MAX_LENGTH = 64  # anything longer is not an id: refuse it before parsing


def parse_public_id(value) -> uuid.UUID | None:
    """The UUID `value` spells (a UUID, or its text with or without dashes and braces), or None."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or len(value) > PUBLIC_ID_MAX_LENGTH:
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None
