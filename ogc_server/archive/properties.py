"""The catalogue's queryable properties: canonical names, their columns, and aliases.

Property names are the snake_case names of :class:`~ogc_server.archive.model.Product`;
:data:`ALIASES` also accepts the EO OpenSearch (OGC 13-026r9) camelCase names and a few STAC
names. Every interface resolves the names its clients use here.
"""

from __future__ import annotations

import sqlalchemy as sa

from ogc_server.archive.tables import products
from ogc_server.errors import InvalidQuery

P = products.c

COLUMNS: dict[str, sa.Column] = {
    "identifier": P.identifier,
    "collection": P.collection,
    "platform": P.platform,
    "platform_serial_identifier": P.platform_serial_identifier,
    "instrument": P.instrument,
    "sensor_mode": P.sensor_mode,
    "product_type": P.product_type,
    "processing_level": P.processing_level,
    "start": P.start_time,
    "end": P.end_time,
    "creation_date": P.creation_date,
    "ingestion_date": P.ingestion_date,
    "modification_date": P.modification_date,
    "orbit_number": P.orbit_number,
    "relative_orbit_number": P.relative_orbit_number,
    "orbit_direction": P.orbit_direction,
    "cloud_cover": P.cloud_cover,
    "snow_cover": P.snow_cover,
    "polarisation_mode": P.polarisation_mode,
    "polarisation_channels": P.polarisation_channels,
    "antenna_look_direction": P.antenna_look_direction,
    "minimum_incidence_angle": P.minimum_incidence_angle,
    "maximum_incidence_angle": P.maximum_incidence_angle,
    "resolution": P.resolution,
    "tile_id": P.tile_id,
    "track": P.track,
    "frame": P.frame,
    "timeliness": P.timeliness,
    "processing_baseline": P.processing_baseline,
    "production_status": P.production_status,
    "file_name": P.file_name,
    "size": P.size,
    "online_state": P.online_state,
    "region": P.region,
    "retention_deadline": P.retention_deadline,
}

#: Other spellings of the same properties (EO OpenSearch, STAC, OGC API Records).
ALIASES: dict[str, str] = {
    "parentIdentifier": "collection",
    "parentidentifier": "collection",
    "collections": "collection",
    "id": "identifier",
    "uid": "identifier",
    "platformSerialIdentifier": "platform_serial_identifier",
    "sensorMode": "sensor_mode",
    "productType": "product_type",
    "processingLevel": "processing_level",
    "startDate": "start",
    "start_datetime": "start",
    "datetime": "start",
    "endDate": "end",
    "end_datetime": "end",
    "creationDate": "creation_date",
    "created": "creation_date",
    "ingestionDate": "ingestion_date",
    "modificationDate": "modification_date",
    "updated": "modification_date",
    "orbitNumber": "orbit_number",
    "sat:absolute_orbit": "orbit_number",
    "relativeOrbitNumber": "relative_orbit_number",
    "sat:relative_orbit": "relative_orbit_number",
    "orbitDirection": "orbit_direction",
    "sat:orbit_state": "orbit_direction",
    "cloudCover": "cloud_cover",
    "eo:cloud_cover": "cloud_cover",
    "snowCover": "snow_cover",
    "eo:snow_cover": "snow_cover",
    "polarisationMode": "polarisation_mode",
    "polarisationChannels": "polarisation_channels",
    "antennaLookDirection": "antenna_look_direction",
    "sar:observation_direction": "antenna_look_direction",
    "minimumIncidenceAngle": "minimum_incidence_angle",
    "maximumIncidenceAngle": "maximum_incidence_angle",
    "gsd": "resolution",
    "tileId": "tile_id",
    "grid:code": "tile_id",
    "productionStatus": "production_status",
    "onlineState": "online_state",
    "retentionDeadline": "retention_deadline",
}

GEOMETRY_NAMES = {"geometry", "footprint", "geom", "the_geom", "ows:BoundingBox", "bbox"}
TIME_RELATIONS = {"intersects", "during", "contains", "equals", "disjoint"}
SPATIAL_RELATIONS = {"intersects", "within", "contains", "disjoint"}
DATETIME_PROPERTIES = frozenset({"start", "end", "creation_date", "ingestion_date",
                                 "modification_date", "retention_deadline"})


def resolve_name(name: str) -> str:
    """The canonical property name for ``name`` or :class:`InvalidQuery`."""
    canonical = ALIASES.get(name, name)
    if canonical not in COLUMNS:
        raise InvalidQuery(f"unknown property {name!r}", locator=name)
    return canonical
