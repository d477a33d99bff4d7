"""The STAC vocabulary of the catalogue: how product facts read as STAC properties and back.

Every STAC property a client may filter or sort on is a :class:`Queryable`. Most name one
catalogue column, some with a value conversion (``sat:orbit_state`` is ``descending`` here and
``DESCENDING`` in the catalogue); a few are *derived* from columns (``platform`` from platform
and serial letter, ``instruments`` from the instrument): filters on them are evaluated over the
small set of values the catalogue can hold and become conditions on the columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ogc_server.archive.model import Collection

#: Serial letters a constellation may fly (Sentinel-5P has none: its serial is "5P").
SERIALS = ("A", "B", "C", "D")
#: SAR polarisation channel combinations as the catalogue writes them.
POLARISATIONS = ("HH", "VV", "HV", "VH", "HH, HV", "VV, VH")
#: STAC instrument names of a catalogue instrument (Synergy combines OLCI and SLSTR).
INSTRUMENTS = {"SAR-C": ("c-sar",), "SYNERGY": ("olci", "slstr")}


def stac_platform(platform: str, serial: str | None) -> str:
    """``sentinel-2a``; a constellation without serial letter (``Sentinel-5P``) stays as is."""
    name = platform.lower()
    serial = (serial or "").lower()
    if not serial or name.endswith(serial) or name.endswith("-" + serial):
        return name
    return name + serial


def stac_constellation(platform: str) -> str:
    return platform.lower()


def stac_instruments(instrument: str) -> list[str]:
    return list(INSTRUMENTS.get(instrument, (instrument.lower(),)))


def stac_polarizations(channels: str | None) -> list[str]:
    """``VV, VH`` -> ``["VV", "VH"]``."""
    if not channels:
        return []
    return [c for c in re.split(r"[\s,+/]+", channels.upper()) if c]


def stac_processing_level(level: str) -> str:
    """``Level-1C`` -> ``L1C`` (the processing extension's spelling)."""
    match = re.fullmatch(r"level-?(\w+)", level, flags=re.IGNORECASE)
    return f"L{match.group(1).upper()}" if match else level


def catalogue_processing_level(value: Any) -> Any:
    """``L1C`` -> ``Level-1C``; also for LIKE patterns (``L2%`` -> ``Level-2%``)."""
    if isinstance(value, str):
        match = re.fullmatch(r"L(?!evel)(.+)", value, flags=re.IGNORECASE | re.DOTALL)
        if match:
            return f"Level-{match.group(1)}"
    return value


def stac_grid_code(tile_id: str) -> str:
    return f"MGRS-{tile_id}"


def catalogue_grid_code(value: Any) -> Any:
    if isinstance(value, str) and value.upper().startswith("MGRS-"):
        return value[5:]
    return value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


# Queryables ----------------------------------------------------------------------------------

Applies = Callable[[Collection], bool]


def _always(_: Collection) -> bool:
    return True


def _optical(c: Collection) -> bool:
    return c.instrument in {"MSI", "OLCI", "SLSTR", "SYNERGY"}


def _sar(c: Collection) -> bool:
    return c.instrument == "SAR-C"


def _orbiting(c: Collection) -> bool:
    return c.platform != "Sentinel-5P"


def _msi(c: Collection) -> bool:
    return c.instrument == "MSI"


@dataclass(frozen=True, slots=True)
class Queryable:
    """A STAC property clients may filter and sort on."""

    name: str
    title: str
    schema: dict[str, Any]
    columns: tuple[str, ...] = ()
    """Catalogue columns (sort keys, and the filter target of direct properties)."""
    kind: str = "string"
    """``string``, ``number``, ``integer``, ``datetime``, ``geometry`` or ``derived``."""
    to_catalogue: Callable[[Any], Any] | None = None
    applies: Applies = field(default=_always)
    array: bool = False


_DATETIME = {"type": "string", "format": "date-time"}
_ORBIT = {"type": "integer", "minimum": 1}
_PERCENT = {"type": "number", "minimum": 0, "maximum": 100}

QUERYABLES: tuple[Queryable, ...] = (
    Queryable("id", "Item identifier (product name)", {"type": "string"}, ("identifier",)),
    Queryable("collection", "Collection identifier", {"type": "string"}, ("collection",)),
    Queryable("geometry", "Footprint", {"$ref": "https://geojson.org/schema/Geometry.json"},
              kind="geometry"),
    Queryable("datetime", "Acquisition start (the item's interval for temporal operators)",
              _DATETIME, ("start",), kind="datetime"),
    Queryable("start_datetime", "Acquisition start", _DATETIME, ("start",), kind="datetime"),
    Queryable("end_datetime", "Acquisition end", _DATETIME, ("end",), kind="datetime"),
    Queryable("created", "Product generation time", _DATETIME, ("creation_date",),
              kind="datetime"),
    Queryable("updated", "Last change of the catalogue record", _DATETIME,
              ("modification_date",), kind="datetime"),
    Queryable("platform", "Satellite", {"type": "string", "examples": ["sentinel-2a"]},
              ("platform", "platform_serial_identifier"), kind="derived"),
    Queryable("constellation", "Constellation", {"type": "string",
                                                 "examples": ["sentinel-2"]},
              ("platform",), kind="derived"),
    Queryable("instruments", "Instruments",
              {"type": "array", "items": {"type": "string"}}, ("instrument",), kind="derived",
              array=True),
    Queryable("gsd", "Ground sampling distance (m)", {"type": "number", "exclusiveMinimum": 0},
              ("resolution",), kind="number"),
    Queryable("product:type", "Product type", {"type": "string"}, ("product_type",)),
    Queryable("processing:level", "Processing level",
              {"type": "string", "examples": ["L1C", "L2A"]}, ("processing_level",),
              to_catalogue=catalogue_processing_level),
    Queryable("eo:cloud_cover", "Cloud cover (%)", _PERCENT, ("cloud_cover",), kind="number",
              applies=_optical),
    Queryable("eo:snow_cover", "Snow and ice cover (%)", _PERCENT, ("snow_cover",),
              kind="number", applies=_optical),
    Queryable("sat:orbit_state", "Orbit direction",
              {"type": "string", "enum": ["ascending", "descending"]}, ("orbit_direction",),
              to_catalogue=_upper, applies=_orbiting),
    Queryable("sat:absolute_orbit", "Absolute orbit number", _ORBIT, ("orbit_number",),
              kind="integer"),
    Queryable("sat:relative_orbit", "Relative orbit number", _ORBIT,
              ("relative_orbit_number",), kind="integer", applies=_orbiting),
    Queryable("sar:instrument_mode", "SAR instrument mode",
              {"type": "string", "examples": ["IW", "EW", "SM", "WV"]}, ("sensor_mode",),
              to_catalogue=_upper, applies=_sar),
    Queryable("sar:polarizations", "SAR polarisations",
              {"type": "array", "items": {"type": "string",
                                          "enum": ["HH", "VV", "HV", "VH"]}},
              ("polarisation_channels",), kind="derived", applies=_sar, array=True),
    Queryable("sar:observation_direction", "Antenna pointing direction",
              {"type": "string", "enum": ["left", "right"]}, ("antenna_look_direction",),
              to_catalogue=_upper, applies=_sar),
    Queryable("grid:code", "MGRS tile", {"type": "string", "pattern": "^MGRS-"},
              ("tile_id",), to_catalogue=catalogue_grid_code, applies=_msi),
)
BY_NAME: dict[str, Queryable] = {q.name: q for q in QUERYABLES}


def lookup(name: str) -> Queryable | None:
    """The queryable for a property name (``properties.`` prefix allowed), or ``None``."""
    if name.startswith("properties."):
        name = name[len("properties."):]
    return BY_NAME.get(name)


def derived_candidates(
    queryable: Queryable, collections: Iterable[Collection]
) -> list[tuple[tuple[Any, ...], Any]]:
    """(catalogue column values, STAC value) for every value a derived property can take."""
    platforms = sorted({c.platform for c in collections})
    instruments = sorted({c.instrument for c in collections})
    if queryable.name == "platform":
        out = []
        for p in platforms:
            serials = ("5P",) if p.upper().endswith("5P") else SERIALS
            out += [((p, s), stac_platform(p, s)) for s in serials]
        return out
    if queryable.name == "constellation":
        return [((p,), stac_constellation(p)) for p in platforms]
    if queryable.name == "instruments":
        return [((i,), stac_instruments(i)) for i in instruments]
    if queryable.name == "sar:polarizations":
        return [((c,), stac_polarizations(c)) for c in POLARISATIONS]
    raise ValueError(f"{queryable.name} is not derived")


def queryables_document(url: str, title: str, collections: Iterable[Collection]) -> dict:
    """The JSON Schema of the queryables of ``collections`` (OGC API Features Part 3)."""
    collections = list(collections)
    properties = {}
    for q in QUERYABLES:
        if any(q.applies(c) for c in collections):
            properties[q.name] = {"title": q.title, **q.schema}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": title,
        "properties": properties,
        "additionalProperties": False,
    }
