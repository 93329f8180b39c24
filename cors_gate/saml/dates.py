"""Date-times as SAML documents and Open edX rows carry them (ISO 8601 / xs:dateTime)."""

from __future__ import annotations

import datetime as dt

from django.utils.dateparse import parse_datetime


def parse_instant(value: str, invalid: Exception) -> dt.datetime | None:
    """django's `parse_datetime`, a naive value read as UTC. None when `value` is not shaped
    like a date-time; `invalid` (the caller's own error) is raised when it is shaped like one
    but impossible (month 13, February 30), which django reports as a ValueError."""
    try:
        parsed = parse_datetime(value)
    except ValueError as exc:
        raise invalid from exc
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed
