"""Range headers (RFC 9110 §14) as pure functions."""

from __future__ import annotations

import pytest

from ogc_server.download.ranges import MAX_RANGES, Unsatisfiable, content_range, parse_ranges


@pytest.mark.parametrize(("header", "expected"), [
    (None, None),
    ("", None),
    ("bytes=0-0", [(0, 1)]),
    ("bytes=0-99", [(0, 100)]),
    ("bytes=10-", [(10, 1000)]),
    ("bytes=-10", [(990, 1000)]),
    ("bytes=-5000", [(0, 1000)]),
    ("bytes=990-5000", [(990, 1000)]),
    ("bytes=0-1, 5-6", [(0, 2), (5, 7)]),
    ("bytes=500-600,0-1", [(500, 601), (0, 2)]),  # disjoint: in the order asked
    ("bytes=0-10,5-20,30-40", [(0, 21), (30, 41)]),  # overlapping: merged
    ("bytes=0-1,,3-4", [(0, 2), (3, 5)]),
    ("bytes=0-1,2000-3000", [(0, 2)]),  # the unsatisfiable one is dropped
    ("BYTES=1-2", [(1, 3)]),
    ("items=0-1", None),
    ("bytes=abc", None),
    ("bytes=5-1", None),
    ("bytes=-", None),
    ("bytes=", None),
    ("bytes=1-2-3", None),
    ("bytes=" + ",".join(["0-0"] * (MAX_RANGES + 1)), None),
])
def test_parse(header: str | None, expected: list[tuple[int, int]] | None) -> None:
    assert parse_ranges(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0",
                                    "bytes=1000-1000,2000-"])
def test_unsatisfiable(header: str) -> None:
    with pytest.raises(Unsatisfiable):
        parse_ranges(header, 1000)


def test_empty_representation() -> None:
    with pytest.raises(Unsatisfiable):
        parse_ranges("bytes=0-", 0)


def test_content_range() -> None:
    assert content_range(0, 100, 1000) == "bytes 0-99/1000"
