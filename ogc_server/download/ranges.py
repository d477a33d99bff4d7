"""HTTP range requests (RFC 9110 §14) as pure functions of header values and a length."""

from __future__ import annotations

import re

#: More ranges than this in one request are not worth a multipart answer: the whole
#: representation is sent instead (as nginx does with ``max_ranges``).
MAX_RANGES = 100
_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


class Unsatisfiable(ValueError):
    """No range of the request overlaps the representation: answer 416."""


def parse_ranges(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """The ``(start, stop)`` byte ranges (stop exclusive) that ``header`` asks of ``size``.

    ``None`` means "send everything" (no header, another unit, bad syntax or too many ranges:
    RFC 9110 lets a server ignore such a Range). Ranges that overlap are merged, in order of
    their starts, so the answer never repeats bytes. Raises :class:`Unsatisfiable` when
    no range overlaps the representation.
    """
    if not header:
        return None
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes" or not specs.strip():
        return None
    parts = specs.split(",")
    if len(parts) > MAX_RANGES:
        return None
    ranges: list[tuple[int, int]] = []
    for part in parts:
        if not part.strip():
            continue  # "bytes=0-1,,3-4" is tolerated
        match = _SPEC.match(part)
        if match is None:
            return None
        first, last = match.groups()
        if not first and not last:
            return None
        if not first:  # suffix: the last N bytes
            length = int(last)
            if length == 0:
                continue
            ranges.append((max(size - length, 0), size))
            continue
        start = int(first)
        stop = size if not last else int(last) + 1
        if last and stop <= start:
            return None  # last < first: the whole header is invalid
        if start >= size:
            continue
        ranges.append((start, min(stop, size)))
    if not ranges:
        raise Unsatisfiable(f"no range of {header!r} overlaps {size} bytes")
    return _merged(ranges)


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    ordered = sorted(ranges)
    if all(a[1] <= b[0] for a, b in zip(ordered, ordered[1:], strict=False)):
        return ranges  # disjoint: keep the order the client asked for
    merged = [ordered[0]]
    for start, stop in ordered[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def content_range(start: int, stop: int, size: int) -> str:
    return f"bytes {start}-{stop - 1}/{size}"
