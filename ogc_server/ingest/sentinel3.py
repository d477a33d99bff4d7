"""Sentinel-3 products (SAFE ``.SEN3``): ``xfdumanifest.xml``.

OLCI, SLSTR, SRAL and SYNERGY products share the manifest layout. ``frame`` is the along-track
coordinate of frame products; ``track`` the relative orbit. ``resolution`` comes from
:data:`RESOLUTION` (the manifests state no ground sampling distance). A stripe spanning a
full orbit overlaps itself at its ends; its footprint is merged instead of rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree

from ogc_server.archive.model import Product
from ogc_server.ingest.readers import (
    check_period,
    footprint,
    invalid,
    latlon_pairs,
    name_time,
    parse_time,
    product_name,
    read_xml,
    reading,
    relative_href,
    same_second,
    to_float,
    to_int,
)

__all__ = ["RESOLUTION", "read"]

NS = {
    "xfdu": "urn:ccsds:schema:xfdu:1",
    "gml": "http://www.opengis.net/gml",
    "sentinel-safe": "http://www.esa.int/safe/sentinel/1.1",
    "sentinel3": "http://www.esa.int/safe/sentinel/sentinel-3/1.0",
}

RESOLUTION: dict[str, float] = {
    # Product type -> finest ground sampling distance in metres (Sentinel-3 product
    # specifications): OLCI full / reduced resolution, SLSTR 0.5 km VIS-SWIR and 1 km TIR
    # grids, SYNERGY 300 m surface reflectance, 4.5 km aerosol, ~1 km (1/112 deg) VGT-like.
    "OL_1_EFR___": 300.0,
    "OL_1_ERR___": 1200.0,
    "OL_2_WFR___": 300.0,
    "OL_2_LFR___": 300.0,
    "OL_2_WRR___": 1200.0,
    "OL_2_LRR___": 1200.0,
    "SL_1_RBT___": 500.0,
    "SL_2_LST___": 1000.0,
    "SL_2_WST___": 1000.0,
    "SL_2_FRP___": 1000.0,
    "SY_2_SYN___": 300.0,
    "SY_2_AOD___": 4500.0,
    "SY_2_VGP___": 1000.0,
    "SY_2_VG1___": 1000.0,
    "SY_2_V10___": 1000.0,
}
"""Ground sampling distance by product type; altimetry (SRAL) products have none."""

FULL_ORBIT_SECONDS = 6000
"""A stripe at least this long (one orbit is ~6059 s) may overlap itself at its ends."""

_INSTRUMENTS = {"OL": "OLCI", "SL": "SLSTR", "SR": "SRAL", "SY": "SYNERGY", "MW": "MWR"}
_NAME = re.compile(
    r"(?P<mission>S3[A-D])_(?P<type>(?P<instrument>[A-Z]{2})_(?P<level>\d)_[A-Z0-9_]{6})_"
    r"(?P<start>\d{8}T\d{6})_(?P<stop>\d{8}T\d{6})_(?P<created>\d{8}T\d{6})_"
    r"(?P<instance>.{17})_(?P<centre>[A-Z0-9_]{3})_(?P<platform>[A-Z_])_"
    r"(?P<timeliness>[A-Z_]{2})_(?P<baseline>[A-Z0-9_]{3})"
)
_INSTANCE = re.compile(
    r"(?P<duration>\d{4})_(?P<cycle>\d{3})_(?P<orbit>\d{3})_(?P<frame>\d{4}|_{4})"
)


def _xp(expr: str) -> etree.XPath:
    return etree.XPath(expr, namespaces=NS, smart_strings=False)


def _meta(object_id: str, rest: str) -> etree.XPath:
    return _xp(f"/xfdu:XFDU/metadataSection/metadataObject[@ID='{object_id}']//{rest}")


_X_START = _meta("acquisitionPeriod", "sentinel-safe:startTime/text()")
_X_STOP = _meta("acquisitionPeriod", "sentinel-safe:stopTime/text()")
_X_FAMILY = _meta("platform", "sentinel-safe:platform/sentinel-safe:familyName/text()")
_X_NUMBER = _meta("platform", "sentinel-safe:platform/sentinel-safe:number/text()")
_X_INSTRUMENT = _meta("platform", "sentinel-safe:instrument/sentinel-safe:familyName")
_X_MODE = _meta("platform", "sentinel-safe:instrument/sentinel-safe:mode/text()")
_X_POSLIST = _meta("measurementFrameSet", "gml:posList/text()")
_X_GENERAL = _meta("generalProductInformation", "sentinel3:generalProductInformation")
_X_ORBIT = _meta("measurementOrbitReference", "sentinel-safe:orbitNumber")
_X_REL_ORBIT = _meta("measurementOrbitReference", "sentinel-safe:relativeOrbitNumber")
_X_PASS = _meta("measurementOrbitReference", "sentinel-safe:passNumber[@type='start']/text()")
_X_CYCLE = _meta("measurementOrbitReference", "sentinel-safe:cycleNumber/text()")
_X_QUALITY = _meta("measurementQualityInformation", "sentinel3:onlineQualityCheck/text()")
_X_DEGRADATION = _meta("measurementQualityInformation", "sentinel3:degradationFlags/text()")
_X_PERCENTAGES = _xp(
    "/xfdu:XFDU/metadataSection/metadataObject[contains(@ID, 'ProductInformation')]"
    "//sentinel3:*[@percentage]"
)
_X_SOFTWARE = _xp(
    "/xfdu:XFDU/metadataSection/metadataObject[@ID='processing']/metadataWrap/xmlData/"
    "sentinel-safe:processing/sentinel-safe:facility/sentinel-safe:software"
)
_X_FACILITY = _xp(
    "/xfdu:XFDU/metadataSection/metadataObject[@ID='processing']/metadataWrap/xmlData/"
    "sentinel-safe:processing/sentinel-safe:facility/@name"
)
_X_HREFS = _xp("/xfdu:XFDU/dataObjectSection/dataObject/byteStream/fileLocation/@href")
_S3 = f"{{{NS['sentinel3']}}}"


def _one(values: list[Any]) -> str | None:
    for value in values:
        if isinstance(value, str):
            value = value.strip()
            if value:
                return value
    return None


def _start_of(elements: list[etree._Element]) -> etree._Element | None:
    for element in elements:
        if element.get("type", "start") == "start":
            return element
    return elements[0] if elements else None


def read(path: Path) -> Product:
    """Read the Sentinel-3 product folder ``path`` (``<name>.SEN3``)."""
    path = Path(path)
    name = product_name(path)
    with reading(name):
        return _read(path, name)


@dataclass
class _Facts:
    """What the manifest states, before it is checked against the product name."""

    product_type: str
    serial: str
    instrument: str
    start: datetime
    end: datetime
    creation: datetime | None
    timeliness: str | None
    baseline: str | None
    orbit: int | None
    relative_orbit: int | None
    direction: str | None
    cycle: int | None
    unit_type: str
    duration: int | None
    frame: int | None
    tile: str


def _read(path: Path, name: str) -> Product:
    match = _NAME.fullmatch(name)
    if match is None:
        raise invalid(name, "not a Sentinel-3 product name (S3x_II_L_TTTTTT_start_stop_...)")
    root = read_xml(path / "xfdumanifest.xml", "xfdumanifest.xml")
    if etree.QName(root).localname != "XFDU":
        raise invalid(name, "xfdumanifest.xml is not an XFDU manifest")
    general_nodes = _X_GENERAL(root)
    if not general_nodes:
        raise invalid(name, "manifest has no generalProductInformation")
    general = general_nodes[0]
    manifest_name = _text(general, "productName")
    if manifest_name and product_name(manifest_name) != name:
        raise invalid(
            name, f"folder name disagrees with the manifest's productName {manifest_name!r}"
        )
    facts = _facts(root, general, name)
    _check_name(name, match, facts)

    full_orbit = (
        facts.unit_type == "STRIPE"
        and facts.duration is not None
        and facts.duration >= FULL_ORBIT_SECONDS
    )
    rings = [latlon_pairs(t, "footprint posList") for t in _X_POSLIST(root) if t.strip()]
    geometry = footprint(
        rings or [latlon_pairs(None, "footprint posList")], repair_self_overlap=full_orbit
    )
    percentages: dict[str, float] = {}
    for element in _X_PERCENTAGES(root):
        key = etree.QName(element).localname
        if key not in percentages:
            percentages[key] = to_float(element.get("percentage"), f"{key} percentage")
    extra = _extra(root, general, match, facts, percentages)
    if full_orbit:
        extra["footprint_note"] = "full-orbit stripe: self-overlapping footprint merged"
    return Product(
        identifier=name,
        platform="Sentinel-3",
        platform_serial_identifier=facts.serial,
        instrument=facts.instrument,
        product_type=facts.product_type,
        processing_level=f"Level-{match['level']}",
        start=facts.start,
        end=facts.end,
        footprint=geometry,
        sensor_mode=_one(_X_MODE(root)),
        creation_date=facts.creation,
        orbit_number=facts.orbit,
        relative_orbit_number=facts.relative_orbit,
        orbit_direction=facts.direction,
        cloud_cover=percentages.get("cloudyPixels"),
        snow_cover=percentages.get("snowOrIcePixels"),
        resolution=RESOLUTION.get(facts.product_type),
        track=facts.relative_orbit,
        frame=facts.frame,
        timeliness=facts.timeliness,
        processing_baseline=facts.baseline,
        production_status="ARCHIVED",
        extra={k: v for k, v in extra.items() if v not in (None, [], "")},
    )


def _text(parent: etree._Element | None, local: str) -> str:
    if parent is None:
        return ""
    return (parent.findtext(f"{_S3}{local}") or "").strip()


def _facts(root: etree._Element, general: etree._Element, name: str) -> _Facts:
    product_type = _text(general, "productType")
    if not product_type:
        raise invalid(name, "manifest states no productType")
    family = _one(_X_FAMILY(root))
    serial = _one(_X_NUMBER(root))
    if family is None or family.upper() != "SENTINEL-3" or serial is None:
        raise invalid(name, f"manifest names platform {family!r} {serial!r}, not Sentinel-3")
    instrument_nodes = _X_INSTRUMENT(root)
    instrument = instrument_nodes[0].get("abbreviation", "").strip() if instrument_nodes else ""
    if not instrument:
        raise invalid(name, "manifest states no instrument")
    start = parse_time(_one(_X_START(root)), "acquisition start time")
    end = parse_time(_one(_X_STOP(root)), "acquisition stop time")
    check_period(start, end)
    created = _text(general, "creationTime")

    orbit_node = _start_of(_X_ORBIT(root))
    rel_node = _start_of(_X_REL_ORBIT(root))
    orbit = to_int(orbit_node.text, "orbitNumber") if orbit_node is not None else None
    relative = to_int(rel_node.text, "relativeOrbitNumber") if rel_node is not None else None
    direction = next(
        (
            n.get("groundTrackDirection", "").strip().upper()
            for n in (orbit_node, rel_node)
            if n is not None and n.get("groundTrackDirection")
        ),
        None,
    )
    if direction not in (None, "ASCENDING", "DESCENDING"):
        raise invalid(name, f"manifest states ground track direction {direction!r}")
    cycle = _one(_X_CYCLE(root))

    unit = general.find(f"{_S3}productUnit")
    duration = _text(unit, "duration")
    frame = _text(unit, "alongtrackCoordinate")
    return _Facts(
        product_type=product_type,
        serial=serial,
        instrument=instrument,
        start=start,
        end=end,
        creation=parse_time(created, "creationTime") if created else None,
        timeliness=_text(general, "timeliness") or None,
        baseline=_text(general, "baselineCollection") or None,
        orbit=orbit,
        # Multi-orbit composites state relative orbit 0: there is none.
        relative_orbit=relative or None,
        direction=direction,
        cycle=to_int(cycle, "cycleNumber") if cycle else None,
        unit_type=_text(unit, "type"),
        duration=to_int(duration, "productUnit duration") if duration else None,
        frame=to_int(frame, "alongtrackCoordinate") if frame else None,
        tile=_text(unit, "tileIdentifier"),
    )


def _check_name(name: str, match: re.Match[str], facts: _Facts) -> None:
    """The product name must agree with the manifest."""
    problems: list[str] = []
    if match["mission"] != f"S3{facts.serial}":
        problems.append(f"platform {match['mission']} vs Sentinel-3{facts.serial}")
    if match["type"] != facts.product_type:
        problems.append(f"product type {match['type']} vs manifest {facts.product_type}")
    expected_instrument = _INSTRUMENTS.get(match["instrument"])
    if expected_instrument is not None and expected_instrument != facts.instrument:
        problems.append(f"instrument {match['instrument']} vs manifest {facts.instrument}")
    if not same_second(name_time(match["start"]), facts.start):
        problems.append(f"start {match['start']} vs manifest {facts.start.isoformat()}")
    if not same_second(name_time(match["stop"]), facts.end):
        problems.append(f"stop {match['stop']} vs manifest {facts.end.isoformat()}")
    if facts.timeliness is not None and match["timeliness"] != facts.timeliness:
        problems.append(f"timeliness {match['timeliness']} vs manifest {facts.timeliness}")
    if facts.baseline is not None and match["baseline"] != facts.baseline:
        problems.append(f"baseline {match['baseline']} vs manifest {facts.baseline}")
    instance = _INSTANCE.fullmatch(match["instance"])
    if instance is not None:
        stated = {
            "relative orbit": (instance["orbit"], facts.relative_orbit),
            "cycle": (instance["cycle"], facts.cycle),
            "frame": (instance["frame"], facts.frame),
        }
        for label, (in_name, in_manifest) in stated.items():
            if in_name.isdigit() and in_manifest is not None and int(in_name) != in_manifest:
                problems.append(f"{label} {in_name} vs manifest {in_manifest}")
    if problems:
        raise invalid(name, "product name disagrees with the manifest: " + "; ".join(problems))


def _extra(
    root: etree._Element,
    general: etree._Element,
    match: re.Match[str],
    facts: _Facts,
    percentages: dict[str, float],
) -> dict[str, Any]:
    software = None
    for element in _X_SOFTWARE(root):
        if element.get("version"):
            software = f"{element.get('name', '').strip()} {element.get('version')}".strip()
            break
    files = [f for f in map(relative_href, _X_HREFS(root)) if f is not None]
    return {
        "product_unit": facts.unit_type or None,
        "duration_seconds": facts.duration,
        "tile_identifier": facts.tile.strip("_") or None,
        "cycle_number": facts.cycle,
        "pass_number": _optional_int(_one(_X_PASS(root))),
        "baseline_collection": facts.baseline,
        "processing_centre": match["centre"].strip("_") or None,
        "platform_class": match["platform"],
        "product_size": _optional_int(_text(general, "productSize")),
        "processor": software,
        "processing_facility": _one(_X_FACILITY(root)),
        "online_quality_check": _one(_X_QUALITY(root)),
        "degradation_flags": _one(_X_DEGRADATION(root)),
        "pixel_percentages": percentages or None,
        "files": files,
    }


def _optional_int(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return None
