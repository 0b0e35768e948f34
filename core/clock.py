"""Time as the people we serve read it: India Standard Time (UTC+05:30, no daylight saving).

The database and the API keep UTC; pages, statements and their day boundaries use India time."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

INDIA = ZoneInfo("Asia/Kolkata")


def in_india(moment: datetime) -> datetime:
    return timezone.localtime(moment, INDIA)
