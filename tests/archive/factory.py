"""Products for catalogue tests, built with plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shapely.geometry import box

from ogc_server.archive.model import Product

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def product(i: int, **changes: Any) -> Product:
    """Product number ``i``: a 1x1 degree footprint at lon i % 10, lat 50, on day i."""
    base = Product(
        identifier=f"S2A_MSIL1C_TEST_{i:04d}",
        platform="Sentinel-2",
        platform_serial_identifier="A" if i % 2 == 0 else "B",
        instrument="MSI",
        product_type="S2MSI1C",
        processing_level="Level-1C",
        start=T0 + timedelta(days=i),
        end=T0 + timedelta(days=i, seconds=5),
        footprint=box(i % 10, 50, i % 10 + 1, 51),
        orbit_number=1000 + i,
        relative_orbit_number=i % 143 + 1,
        orbit_direction="DESCENDING",
        cloud_cover=float(i % 50),
        tile_id=f"32U{chr(65 + i % 5)}{chr(65 + i % 7)}",
        collection="EOP:CODE-DE:S2_MSI_L1C",
        region="central_europe",
        checksum=f"sha256:{i:064x}",
        size=1000 + i,
    )
    return base.replace(**changes)
