"""The WMS TIME parameter: instants of any precision, intervals, lists; errors say why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ogc_server.errors import InvalidQuery
from ogc_server.view.timeparam import MAX_ITEMS, format_instant, parse_time

T = datetime(2024, 5, 3, 10, 20, 30, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(("value", "low", "high"), [
    ("2024", datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC) - TICK),
    ("2024-02", datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC) - TICK),
    ("2024-12", datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC) - TICK),
    ("2024-05-03", datetime(2024, 5, 3, tzinfo=UTC), datetime(2024, 5, 4, tzinfo=UTC) - TICK),
    ("2024-05-03T10", datetime(2024, 5, 3, 10, tzinfo=UTC),
     datetime(2024, 5, 3, 11, tzinfo=UTC) - TICK),
    ("2024-05-03T10:20Z", datetime(2024, 5, 3, 10, 20, tzinfo=UTC),
     datetime(2024, 5, 3, 10, 21, tzinfo=UTC) - TICK),
    ("2024-05-03T10:20:30Z", T, T + timedelta(seconds=1) - TICK),
    ("2024-05-03T12:20:30.000+02:00", T, T),
    ("2024-05-03T10:20:30.5Z", T + timedelta(milliseconds=500),
     T + timedelta(milliseconds=500)),
    ("2024-05-01/2024-05-03", datetime(2024, 5, 1, tzinfo=UTC),
     datetime(2024, 5, 4, tzinfo=UTC) - TICK),
    ("2024-05-01T00:00:00Z/2024-05-03T00:00:00Z/PT1H", datetime(2024, 5, 1, tzinfo=UTC),
     datetime(2024, 5, 3, 0, 0, 1, tzinfo=UTC) - TICK),
])
def test_instants_and_intervals(value: str, low: datetime, high: datetime) -> None:
    assert parse_time(value).intervals == ((low, high),)


def test_lists_and_matching() -> None:
    time = parse_time("2024-01-05, 2024-03")
    assert len(time.intervals) == 2
    assert time.start == datetime(2024, 1, 5, tzinfo=UTC)
    assert time.end == datetime(2024, 4, 1, tzinfo=UTC) - TICK
    inside = datetime(2024, 3, 10, tzinfo=UTC)
    between = datetime(2024, 2, 10, tzinfo=UTC)
    assert time.matches(inside, inside + timedelta(minutes=1))
    assert not time.matches(between, between + timedelta(minutes=1))
    # an acquisition that spans the start of an interval matches
    assert time.matches(datetime(2024, 1, 4, 23, 59, tzinfo=UTC),
                        datetime(2024, 1, 5, 0, 1, tzinfo=UTC))


def test_current_is_now() -> None:
    assert parse_time("current", now=T).intervals == ((T, T),)
    assert parse_time("2024-01-01/present", now=T).end == T


@pytest.mark.parametrize("value", [
    "", " ", "yesterday", "2024-13", "2024-02-30", "2024-05-03T25:00Z", "24-05-03",
    "2024/2023", "2024/2025/P", "2024/2025/1D", "a/b/c/d", "2024-05-03T10:00+15:00",
    ",".join(["2024"] * (MAX_ITEMS + 1)),
])
def test_malformed_values_are_refused_with_the_time_locator(value: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_time(value)
    assert caught.value.locator == "time"


def test_format_instant() -> None:
    assert format_instant(T) == "2024-05-03T10:20:30Z"
