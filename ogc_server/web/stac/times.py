"""RFC 3339 date-times as STAC writes and reads them (always UTC, ``Z``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ogc_server.errors import InvalidQuery

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))?"
)


def format_datetime(value: datetime) -> str:
    """``2026-10-19T08:30:19.698624Z`` (fractions only when there are any)."""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.replace(tzinfo=None).isoformat() + "Z"


def parse_instant(text: str, *, end: bool = False, locator: str = "datetime") -> datetime:
    """An RFC 3339 date-time; a bare date means its first (or, for ``end``, last) instant."""
    match = _RFC3339.fullmatch(text.strip())
    if not match:
        raise InvalidQuery(f"{text[:40]!r} is not an RFC 3339 date-time", locator=locator)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        if hour is None:
            value = datetime(int(year), int(month), int(day), tzinfo=UTC)
            return value + timedelta(days=1, microseconds=-1) if end else value
        micro = int((fraction or ".0")[1:7].ljust(6, "0"))
        value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                         micro, tzinfo=UTC)
    except ValueError as exc:
        raise InvalidQuery(f"{text[:40]!r} is not a valid date-time", locator=locator) from exc
    if zone and zone.upper() != "Z":
        sign = 1 if zone[0] == "+" else -1
        value -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return value
