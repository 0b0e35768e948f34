"""JSON parsing that never turns money into a float."""

import json
from decimal import Decimal

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class ExactJSONParser(JSONParser):
    """Numbers become `Decimal` (ints included, so huge ones cannot exhaust int parsing),
    and the non-standard constants NaN/Infinity become Decimal NaN/Infinity, which the
    money parser then refuses as "Invalid amount" instead of a parse error. A number
    Decimal cannot hold at all (an exponent past its limits, anywhere in the body) is a
    malformed body: `decimal.InvalidOperation` is an ArithmeticError, not a ValueError."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=Decimal)
        except (ValueError, ArithmeticError, UnicodeDecodeError, RecursionError) as error:
            raise ParseError(f"JSON parse error - {error}") from None
