"""The WMS ``TIME`` parameter (OGC 06-042 Annex C / D) as a set of UTC intervals.

A value is an instant, an interval ``start/end`` (an optional third part, the resolution, is
accepted and ignored: the archive is continuous time), or a comma separated list of those.
An instant given with reduced precision means its whole period (``2024``, ``2024-05``,
``2024-05-03``, ``2024-05-03T10`` ...), so ``TIME=2024-05-03`` shows that day's products; an
exact instant shows the products whose acquisition covers it. ``current`` / ``present`` mean
now. Times without a zone are UTC.

Products match when their acquisition ``[start, end]`` intersects one of the intervals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from ogc_server.errors import InvalidQuery

#: A list longer than this is refused (each item costs a comparison per candidate product).
MAX_ITEMS = 100
_INSTANT = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2})(?::(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>\.\d{1,9})?)?)?"
    r"(?P<z>Z|[+-]\d{2}:?\d{2})?)?)?)?$"
)
_DURATION = re.compile(
    r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


@dataclass(frozen=True, slots=True)
class TimeFilter:
    """Closed UTC intervals; a product matches when it intersects one of them."""

    intervals: tuple[tuple[datetime, datetime], ...]

    @property
    def start(self) -> datetime:
        return min(i[0] for i in self.intervals)

    @property
    def end(self) -> datetime:
        return max(i[1] for i in self.intervals)

    def matches(self, start: datetime, end: datetime) -> bool:
        return any(start <= high and end >= low for low, high in self.intervals)


def parse_time(value: str, now: datetime | None = None) -> TimeFilter:
    """The filter for a ``TIME`` value, or :class:`InvalidQuery` (locator ``time``) saying why."""
    text = value.strip()
    if not text:
        raise InvalidQuery("TIME is empty", locator="time")
    items = text.split(",")
    if len(items) > MAX_ITEMS:
        raise InvalidQuery(f"TIME lists more than {MAX_ITEMS} values", locator="time")
    now = now or datetime.now(UTC)
    intervals = []
    for item in items:
        parts = [p.strip() for p in item.split("/")]
        if len(parts) == 1:
            intervals.append(_period(parts[0], now))
        elif len(parts) in (2, 3):
            if len(parts) == 3 and not _DURATION.match(parts[2]):
                raise InvalidQuery(f"TIME resolution {parts[2]!r} is not an ISO 8601 duration",
                                   locator="time")
            low = _period(parts[0], now)[0]
            high = _period(parts[1], now)[1]
            if low > high:
                raise InvalidQuery(f"TIME interval {item!r} ends before it starts",
                                   locator="time")
            intervals.append((low, high))
        else:
            raise InvalidQuery(f"TIME value {item!r} is not an instant or an interval",
                               locator="time")
    return TimeFilter(tuple(intervals))


def _period(text: str, now: datetime) -> tuple[datetime, datetime]:
    """The first and last instant that ``text`` (an instant of any precision) stands for."""
    if text.lower() in {"current", "present", "now"}:
        return now, now
    match = _INSTANT.match(text)
    if not match:
        raise InvalidQuery(f"TIME value {text!r} is not an ISO 8601 date or time",
                           locator="time")
    g = match.groupdict()
    try:
        zone = _zone(g["z"])
        first = datetime(int(g["y"]), int(g["m"] or 1), int(g["d"] or 1), int(g["H"] or 0),
                         int(g["M"] or 0), int(g["S"] or 0),
                         round(float(g["f"]) * 1e6) if g["f"] else 0, tzinfo=zone)
    except ValueError as exc:
        raise InvalidQuery(f"TIME value {text!r} is not a valid date: {exc}",
                           locator="time") from exc
    first = first.astimezone(UTC)
    if g["f"]:
        return first, first
    if g["S"]:
        return first, first + timedelta(seconds=1) - _TICK
    if g["M"]:
        return first, first + timedelta(minutes=1) - _TICK
    if g["H"]:
        return first, first + timedelta(hours=1) - _TICK
    if g["d"]:
        return first, first + timedelta(days=1) - _TICK
    if g["m"]:
        year, month = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
        return first, first.replace(year=year, month=month) - _TICK
    return first, first.replace(year=first.year + 1) - _TICK


_TICK = timedelta(microseconds=1)


def _zone(text: str | None) -> tzinfo:
    if not text or text == "Z":
        return UTC
    sign = 1 if text[0] == "+" else -1
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if offset > timedelta(hours=14):
        raise ValueError("zone offset beyond 14 hours")
    return timezone(sign * offset)


def format_instant(value: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` (the form capabilities advertise)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
