"""Domain model of the rolling archive: plain dataclasses, no I/O.

A :class:`Product` carries every property that the EO OpenSearch extension (OGC 13-026r9)
and the geo-client filter on. Readers of real metadata fill what the product states; the
ingest pipeline adds the archive's own facts (collection, region, storage, retention).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry


class OnlineState(enum.StrEnum):
    """Where the product's data is: on disk, being reloaded, or only in the long-term archive."""

    ONLINE = "online"
    STAGING = "staging"
    OFFLINE = "offline"


class OrbitDirection(enum.StrEnum):
    ASCENDING = "ASCENDING"
    DESCENDING = "DESCENDING"


@dataclass(slots=True)
class Product:
    """One product of the archive.

    Times are timezone-aware UTC datetimes. ``footprint`` is a valid shapely (Multi)Polygon in
    EPSG:4326 with longitude first. Fields a product does not state stay ``None``.
    """

    identifier: str
    """Product name without extension (e.g. ``S2A_MSIL1C_20180101T105441_N0206_...``)."""
    platform: str
    """``Sentinel-1`` ... ``Sentinel-5P`` (EO ``platform``)."""
    platform_serial_identifier: str
    """``A``, ``B``, ``C`` (EO ``platformSerialIdentifier``)."""
    instrument: str
    """``SAR-C``, ``MSI``, ``OLCI``, ``SLSTR``, ``SYNERGY``, ``TROPOMI``."""
    product_type: str
    """Mission product type, e.g. ``S2MSI1C``, ``GRD``, ``OL_1_EFR___``, ``L2__NO2___``."""
    processing_level: str
    """``Level-1``, ``Level-1C``, ``Level-2A``, ``Level-2`` ..."""
    start: datetime
    end: datetime
    footprint: BaseGeometry
    sensor_mode: str | None = None
    """S1: ``IW``/``EW``/``SM``/``WV``; S2: ``INS-NOBS``; S3: ``Earth Observation``."""
    creation_date: datetime | None = None
    """When the ground segment generated the product."""
    orbit_number: int | None = None
    relative_orbit_number: int | None = None
    orbit_direction: str | None = None
    cloud_cover: float | None = None
    snow_cover: float | None = None
    polarisation_mode: str | None = None
    """``S`` single, ``D`` dual (EO ``polarisationMode``)."""
    polarisation_channels: str | None = None
    """Comma separated with a space, e.g. ``VV, VH`` (EO ``polarisationChannels``)."""
    antenna_look_direction: str | None = None
    minimum_incidence_angle: float | None = None
    maximum_incidence_angle: float | None = None
    resolution: float | None = None
    """Ground sampling distance in metres of the finest band."""
    tile_id: str | None = None
    """S2 MGRS tile (``31TDH``)."""
    track: int | None = None
    frame: int | None = None
    """S1 slice number / S3 frame along track."""
    timeliness: str | None = None
    """``NRT``, ``STC``, ``NTC``, ``Fast-24h`` ... where the product says."""
    processing_baseline: str | None = None
    production_status: str = "ARCHIVED"
    file_name: str | None = None
    """Name of the downloadable file, e.g. ``<identifier>.zip``."""
    size: int | None = None
    """Bytes of the downloadable product."""
    checksum: str | None = None
    """``<algorithm>:<hex>`` of the downloadable product (``md5:...`` / ``sha256:...``)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Reader-specific facts worth keeping (datatake id, IPF version, band list ...), JSON-safe."""

    # Facts of the archive, set by the ingest pipeline, not by readers.
    collection: str | None = None
    """Parent identifier, e.g. ``EOP:CODE-DE:S2_MSI_L1C``."""
    region: str | None = None
    """Retention region key: ``central_europe``, ``europe`` or ``global``."""
    ingestion_date: datetime | None = None
    modification_date: datetime | None = None
    retention_deadline: datetime | None = None
    online_state: OnlineState = OnlineState.ONLINE
    storage_path: str | None = None
    """Path of the product's folder relative to the archive root."""
    quicklook_path: str | None = None
    thumbnail_path: str | None = None
    browse_path: str | None = None
    """Relative paths of the browse files (quicklook JPEG, thumbnail JPEG, browse COG)."""

    def replace(self, **changes: Any) -> Product:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Region:
    """A retention region, from ``config/regions.geojson``."""

    key: str
    title: str
    geometry: BaseGeometry


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How many months a collection keeps products, per region.

    ``None`` for a region means the region makes no difference for this collection: the next
    broader region's value applies (Central Europe -> Europe -> Global). ``0`` means products of
    that region are not kept at all.
    """

    months: dict[str, int | None]

    def months_for(self, region_order: list[str], region: str) -> int | None:
        """Months for ``region``, falling back along ``region_order`` (narrow to broad)."""
        start = region_order.index(region)
        for key in region_order[start:]:
            value = self.months.get(key)
            if value is not None:
                return value
        return None


@dataclass(frozen=True, slots=True)
class Collection:
    """A collection of the rolling archive (the first step of a two-step search)."""

    identifier: str
    """CODE-DE style id, e.g. ``EOP:CODE-DE:S2_MSI_L1C``."""
    title: str
    abstract: str
    platform: str
    instrument: str
    processing_level: str
    product_types: tuple[str, ...]
    """Product types (as readers report them) that belong to this collection."""
    retention: RetentionPolicy
    keywords: tuple[str, ...] = ()
    metadata_file: str | None = None
    """ISO 19139 record in ``metadata/``."""

    @property
    def short_name(self) -> str:
        """The part after the last colon: ``S2_MSI_L1C``."""
        return self.identifier.rsplit(":", 1)[-1]
