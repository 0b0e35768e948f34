"""JSON parsing that never turns money into a float."""

import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding


class ExactJSONParser(JSONParser):
    """Numbers become `Decimal` (ints included, so huge ones cannot exhaust int parsing),
    and the non-standard constants NaN/Infinity become Decimal NaN/Infinity, which the
    money parser then refuses as "Invalid amount" instead of a parse error. A number
    Decimal cannot hold at all (an exponent past its limits, anywhere in the body) is a
    malformed body: `decimal.InvalidOperation` is an ArithmeticError, not a ValueError.
    Never more than DATA_UPLOAD_MAX_MEMORY_SIZE is read."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = get_encoding(parser_context)  # DRF's: text encodings only (no bz2_codec bombs)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = b"" if stream is None else stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        try:
            return json.loads(raw.decode(encoding), parse_float=Decimal, parse_int=Decimal, parse_constant=Decimal)
        except (ValueError, ArithmeticError, UnicodeDecodeError, RecursionError) as error:
            raise ParseError(f"JSON parse error - {error}") from None
