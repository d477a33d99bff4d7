"""Retention policy: pure functions over plain values (no I/O)."""

from __future__ import annotations

import calendar
from datetime import datetime

from shapely.geometry.base import BaseGeometry

from ogc_server.archive.model import Collection, Region


def classify_region(footprint: BaseGeometry, regions: list[Region]) -> str:
    """The narrowest region the footprint touches (``regions`` run narrow to broad).

    A product that touches Central Europe is kept by Central Europe's rules, the longest: a
    national archive keeps everything that shows its territory.
    """
    for region in regions:
        if region.geometry.intersects(footprint):
            return region.key
    return regions[-1].key


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months, clamping the day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def retention_months(collection: Collection, region_order: list[str], region: str) -> int | None:
    """Months ``collection`` keeps products of ``region``; ``None`` or 0: not kept."""
    return collection.retention.months_for(region_order, region)


def retention_deadline(sensing_start: datetime, months: int) -> datetime:
    """When a product sensed at ``sensing_start`` leaves the rolling archive."""
    return add_months(sensing_start, months)
