"""Values of EO OpenSearch parameters (OGC 13-026r9): the range syntax, numbers and dates.

Pure functions, no I/O. Every error is an :class:`~ogc_server.errors.InvalidQuery` whose
``locator`` names the parameter.

Range syntax (numbers and dates alike)::

    10          exactly 10                 {10,20,30}   any of the listed values
    [10,20]     10 <= x <= 20              ]10,20[      10 < x < 20 (and [10,20[, ]10,20])
    [10         x >= 10                    ]10          x > 10
    20]         x <= 20                    20[          x < 20

A date without a time stands for the whole day (UTC): ``[2020-01-01,2020-01-31]`` includes all
of 31 January, ``2020-01-31[`` excludes it. Date-times without a zone are UTC.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import unquote

from ogc_server.archive.query import Range
from ogc_server.errors import InvalidQuery

#: Longest value accepted for any parameter (``geometry`` has its own limit).
MAX_VALUE_LENGTH = 4096
#: Most values in a ``{a,b,c}`` set.
MAX_SET_SIZE = 100
INT_MAX = 2**31 - 1

_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INTERVAL = re.compile(r"([\[\]])\s*([^\[\]{},]+?)\s*,\s*([^\[\]{},]+?)\s*([\[\]])")
_LOWER = re.compile(r"([\[\]])\s*([^\[\]{},]+?)")
_UPPER = re.compile(r"([^\[\]{},]+?)\s*([\[\]])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)?"
)

Value = Any
"""A single value, a list of values (any of) or a :class:`Range`."""


def clean(name: str, raw: str, limit: int = MAX_VALUE_LENGTH) -> str:
    """The value as the client meant it: percent-decoded once more if it still is, stripped.

    Refuses values longer than ``limit`` characters and control characters.
    """
    if len(raw) > limit:
        raise InvalidQuery(f"{name}: the value is longer than {limit} characters", locator=name)
    text = unquote(raw) if _PERCENT.search(raw) else raw
    if _CONTROL.search(text):
        raise InvalidQuery(f"{name}: the value contains control characters", locator=name)
    return text.strip()


# Numbers --------------------------------------------------------------------------------------


def number(name: str, text: str, low: float | None = None, high: float | None = None) -> float:
    """A finite decimal number, optionally within [low, high]."""
    try:
        value = float(text)
    except ValueError:
        raise InvalidQuery(f"{name}: {text!r} is not a number", locator=name) from None
    if not math.isfinite(value):
        raise InvalidQuery(f"{name}: {text!r} is not a finite number", locator=name)
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidQuery(f"{name}: {text} is outside {low}..{high}", locator=name)
    return value


def integer(name: str, text: str, low: int = 0, high: int = INT_MAX) -> int:
    """A whole number within [low, high]."""
    if not re.fullmatch(r"[+-]?\d{1,12}", text.strip()):
        raise InvalidQuery(f"{name}: {text!r} is not a whole number", locator=name)
    value = int(text)
    if not low <= value <= high:
        raise InvalidQuery(f"{name}: {value} is outside {low}..{high}", locator=name)
    return value


# Dates ----------------------------------------------------------------------------------------


def is_date_only(text: str) -> bool:
    return bool(_DATE.fullmatch(text.strip()))


def moment(name: str, text: str, *, end_of_day: bool = False) -> datetime:
    """A UTC date-time from an ISO 8601 date or date-time.

    A date alone is the start of that day, or its last microsecond with ``end_of_day``.
    """
    text = text.strip()
    try:
        if _DATE.fullmatch(text):
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        if _DATETIME.fullmatch(text):
            value = datetime.fromisoformat(_fraction_to_micro(text.replace(" ", "T")))
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        pass
    raise InvalidQuery(
        f"{name}: {text!r} is not an ISO 8601 date (YYYY-MM-DD) or date-time "
        "(YYYY-MM-DDThh:mm:ss[.fff][Z|+hh:mm])", locator=name,
    )


def _fraction_to_micro(text: str) -> str:
    """Python reads at most 6 fractional digits: cut nanoseconds."""
    return re.sub(r"(\.\d{6})\d+", r"\1", text)


def day_range(name: str, text: str) -> Range:
    """The whole day of a date, as a closed range."""
    return Range(moment(name, text), moment(name, text, end_of_day=True))


# Range syntax ---------------------------------------------------------------------------------


def parse_range(name: str, text: str, convert: Callable[[str, str], Any]) -> Value:
    """A value in the EO range syntax, each bound converted with ``convert(name, text)``."""
    text = text.strip()
    if not text:
        raise InvalidQuery(f"{name}: an empty value", locator=name)
    if text.startswith("{") or text.endswith("}"):
        return _set(name, text, convert)
    match = _INTERVAL.fullmatch(text)
    if match:
        low, high = convert(name, match[2]), convert(name, match[3])
        if low > high:
            raise InvalidQuery(f"{name}: the lower bound is above the upper bound", locator=name)
        return Range(low, high, match[1] == "[", match[4] == "]")
    match = _LOWER.fullmatch(text)
    if match:
        return Range(low=convert(name, match[2]), low_inclusive=match[1] == "[")
    match = _UPPER.fullmatch(text)
    if match:
        return Range(high=convert(name, match[1]), high_inclusive=match[2] == "]")
    if any(c in text for c in "[]{},"):
        raise InvalidQuery(
            f"{name}: {text!r} is not in the range syntax ([a,b], ]a,b[, [a, b], {{a,b}} ...)",
            locator=name,
        )
    return convert(name, text)


def _set(name: str, text: str, convert: Callable[[str, str], Any]) -> list[Any]:
    if not (text.startswith("{") and text.endswith("}")):
        raise InvalidQuery(f"{name}: a set must be written {{a,b,c}}", locator=name)
    items = [item.strip() for item in text[1:-1].split(",")]
    if not items or any(not item for item in items):
        raise InvalidQuery(f"{name}: a set needs values separated by commas", locator=name)
    if len(items) > MAX_SET_SIZE:
        raise InvalidQuery(f"{name}: a set has more than {MAX_SET_SIZE} values", locator=name)
    return [convert(name, item) for item in items]


def numeric_range(name: str, text: str, *, integer_values: bool = False,
                  low: float | None = None, high: float | None = None) -> Value:
    """A number, set or range of numbers."""
    if integer_values:
        return parse_range(name, text, lambda n, t: integer(n, t))
    return parse_range(name, text, lambda n, t: number(n, t, low, high))


def date_range(name: str, text: str) -> Value:
    """A date(-time), set or range of them; a date alone means its whole day."""
    text = text.strip()
    if is_date_only(text):
        return day_range(name, text)
    if text.startswith("{"):
        return _set(name, text, moment)
    interval = _INTERVAL.fullmatch(text)
    if interval:
        low = moment(name, interval[2], end_of_day=interval[1] == "]")
        high = moment(name, interval[3], end_of_day=interval[4] == "]")
        if low > high:
            raise InvalidQuery(f"{name}: the lower bound is above the upper bound", locator=name)
        return Range(low, high, interval[1] == "[", interval[4] == "]")
    value = parse_range(name, text, lambda n, t: t)
    if isinstance(value, Range):
        if value.low is not None:
            return Range(low=moment(name, value.low, end_of_day=not value.low_inclusive),
                         low_inclusive=value.low_inclusive)
        return Range(high=moment(name, value.high, end_of_day=value.high_inclusive),
                     high_inclusive=value.high_inclusive)
    return moment(name, value)


def text_value(name: str, text: str) -> Value:
    """A string, or a ``{a,b}`` set of strings."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}") and len(text) > 2:
        return _set(name, text, lambda n, t: t)
    return text


def as_utc_text(value: datetime) -> str:
    """ISO 8601 in UTC with ``Z`` and milliseconds only when there are any."""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
