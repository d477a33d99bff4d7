"""Sentinel-1 SAR products (SAFE): ``manifest.safe`` plus the product annotation files.

Fields come from the manifest; the incidence angles and the GRD pixel spacing come from the
product annotation files (``annotation/*.xml``, geolocation grid and image information) when
every swath of the product has one. No nominal incidence angles are invented.

``resolution`` is the ground pixel spacing of a GRD product (annotation, else
:data:`GRD_PIXEL_SPACING`) and the single-look ground resolution of the acquisition mode for
an SLC (:data:`SLC_RESOLUTION`; SLC pixel spacing is in slant range).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from ogc_server.archive.model import Product
from ogc_server.ingest.readers import (
    check_period,
    footprint,
    invalid,
    latlon_commas,
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

__all__ = ["GRD_PIXEL_SPACING", "SLC_RESOLUTION", "read"]

NS = {
    "xfdu": "urn:ccsds:schema:xfdu:1",
    "gml": "http://www.opengis.net/gml",
    "safe": "http://www.esa.int/safe/sentinel-1.0",
    "s1": "http://www.esa.int/safe/sentinel-1.0/sentinel-1",
    "s1sar": "http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar",
    "s1sarl1": "http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar/level-1",
    "s1sarl2": "http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar/level-2",
}

GRD_PIXEL_SPACING: dict[tuple[str, str], float] = {
    # (mode, resolution class) -> GRD pixel spacing in metres (Sentinel-1 User Guide, GRD).
    ("SM", "F"): 4.0,
    ("SM", "H"): 10.0,
    ("SM", "M"): 40.0,
    ("IW", "H"): 10.0,
    ("IW", "M"): 40.0,
    ("EW", "H"): 25.0,
    ("EW", "M"): 40.0,
    ("WV", "M"): 25.0,
}
"""Pixel spacing of GRD products when no annotation file states it."""

SLC_RESOLUTION: dict[str, float] = {
    # mode -> finest single-look ground resolution in metres (range x azimuth: SM 5x5,
    # IW 5x20, EW 20x40, WV 5x5).
    "SM": 5.0,
    "IW": 5.0,
    "EW": 20.0,
    "WV": 5.0,
}
"""Finest ground resolution of SLC products by acquisition mode."""

_NAME = re.compile(
    r"(?P<mission>S1[A-D])_(?P<mode>[A-Z0-9]{2})_(?P<type>[A-Z0-9]{3})(?P<res>[FHM_])_"
    r"(?P<level>\d)(?P<cls>[A-Z_])(?P<pol>[A-Z_]{2})_(?P<start>\d{8}T\d{6})_"
    r"(?P<stop>\d{8}T\d{6})_(?P<orbit>\d{6})_(?P<datatake>[0-9A-F]{6})_(?P<uid>[0-9A-F]{4})"
)
_PRODUCT_TYPES = ("SLC", "GRD", "OCN")
_LEVELS = {"1": "Level-1", "2": "Level-2"}


def _xp(expr: str) -> etree.XPath:
    return etree.XPath(expr, namespaces=NS, smart_strings=False)


def _meta(object_id: str, rest: str) -> etree.XPath:
    return _xp(f"/xfdu:XFDU/metadataSection/metadataObject[@ID='{object_id}']//{rest}")


_INFO = "*[local-name()='standAloneProductInformation']"
_X_FAMILY = _meta("platform", "safe:platform/safe:familyName/text()")
_X_NUMBER = _meta("platform", "safe:platform/safe:number/text()")
_X_NSSDC = _meta("platform", "safe:platform/safe:nssdcIdentifier/text()")
_X_MODE = _meta("platform", "*[local-name()='instrumentMode']/*[local-name()='mode']/text()")
_X_SWATHS = _meta("platform", "*[local-name()='instrumentMode']/*[local-name()='swath']/text()")
_X_ORBIT = _meta("measurementOrbitReference", "safe:orbitNumber[@type='start']/text()")
_X_REL_ORBIT = _meta("measurementOrbitReference", "safe:relativeOrbitNumber[@type='start']/text()")
_X_CYCLE = _meta("measurementOrbitReference", "safe:cycleNumber/text()")
_X_PASS = _meta("measurementOrbitReference", "s1:orbitProperties/s1:pass/text()")
_X_ANX = _meta("measurementOrbitReference", "s1:orbitProperties/s1:ascendingNodeTime/text()")
_X_INFO = _meta("generalProductInformation", _INFO)
_X_START = _meta("acquisitionPeriod", "safe:acquisitionPeriod/safe:startTime/text()")
_X_STOP = _meta("acquisitionPeriod", "safe:acquisitionPeriod/safe:stopTime/text()")
_X_FOOTPRINTS = _meta("measurementFrameSet", "safe:footPrint/gml:coordinates/text()")
_X_PROCESSING = _xp(
    "/xfdu:XFDU/metadataSection/metadataObject[@ID='processing']/metadataWrap/xmlData/"
    "safe:processing"
)
_X_SOFTWARE = _xp("safe:facility/safe:software")
_X_OBJECTS = _xp("/xfdu:XFDU/dataObjectSection/dataObject")
_X_HREF = _xp("byteStream/fileLocation/@href")

_A_INCIDENCE = _xp(
    "/product/geolocationGrid/geolocationGridPointList/geolocationGridPoint/incidenceAngle/text()"
)
_A_RANGE_SPACING = _xp("/product/imageAnnotation/imageInformation/rangePixelSpacing/text()")
_A_AZIMUTH_SPACING = _xp("/product/imageAnnotation/imageInformation/azimuthPixelSpacing/text()")


def _info_fields(info: etree._Element | None) -> dict[str, list[str]]:
    """Texts of the children of standAloneProductInformation by local name."""
    fields: dict[str, list[str]] = {}
    if info is None:
        return fields
    for child in info:
        tag = child.tag
        if isinstance(tag, str):
            text = (child.text or "").strip()
            if text:
                fields.setdefault(tag.rpartition("}")[2], []).append(text)
    return fields


def _field(fields: dict[str, list[str]], key: str) -> str | None:
    values = fields.get(key)
    return values[0] if values else None


def _first(values: list[str]) -> str | None:
    for value in values:
        value = value.strip()
        if value:
            return value
    return None


def read(path: Path) -> Product:
    """Read the Sentinel-1 product folder ``path`` (``<name>.SAFE``)."""
    path = Path(path)
    name = product_name(path)
    with reading(name):
        return _read(path, name)


def _read(path: Path, name: str) -> Product:
    match = _NAME.fullmatch(name)
    if match is None:
        raise invalid(name, "not a Sentinel-1 product name (S1x_MM_TTTR_LCPP_start_stop_...)")
    root = read_xml(path / "manifest.safe", "manifest.safe")
    if etree.QName(root).localname != "XFDU":
        raise invalid(name, "manifest.safe is not an XFDU manifest")

    family = _first(_X_FAMILY(root))
    serial = _first(_X_NUMBER(root))
    if family is None or family.upper() != "SENTINEL-1" or serial is None:
        raise invalid(name, f"manifest names platform {family!r} {serial!r}, not Sentinel-1")
    info_nodes = _X_INFO(root)
    info = _info_fields(info_nodes[0] if info_nodes else None)
    product_type = _field(info, "productType")
    if product_type is None:
        raise invalid(name, "manifest states no productType")
    mode = _first(_X_MODE(root))
    if mode is None:
        raise invalid(name, "manifest states no instrument mode")
    swaths = [s.strip() for s in _X_SWATHS(root) if s.strip()]
    start = parse_time(_first(_X_START(root)), "acquisition start time")
    end = parse_time(_first(_X_STOP(root)), "acquisition stop time")
    check_period(start, end)
    orbit = to_int(_first(_X_ORBIT(root)), "absolute orbit number")
    relative_orbit = to_int(_first(_X_REL_ORBIT(root)), "relative orbit number")
    direction = (_first(_X_PASS(root)) or "").upper() or None
    if direction not in (None, "ASCENDING", "DESCENDING"):
        raise invalid(name, f"manifest states orbit pass {direction!r}")
    channels = info.get("transmitterReceiverPolarisation", [])
    datatake_text = _field(info, "missionDataTakeID")
    datatake = to_int(datatake_text, "missionDataTakeID") if datatake_text else None

    _check_name(
        name,
        match,
        serial=serial,
        product_type=product_type,
        mode=mode,
        swaths=swaths,
        start=start,
        end=end,
        orbit=orbit,
        datatake=datatake,
        channels=channels,
    )

    rings = [latlon_commas(text) for text in _X_FOOTPRINTS(root) if text.strip()]
    geometry = footprint(rings)

    processing = _X_PROCESSING(root)
    creation = None
    software: str | None = None
    facility: str | None = None
    if processing:
        stop = processing[0].get("stop")
        creation = parse_time(stop, "processing stop time") if stop else None
        for element in _X_SOFTWARE(processing[0]):
            if element.get("version"):
                software = f"{element.get('name', '').strip()} {element.get('version')}".strip()
                break
        facility_nodes = processing[0].findall(f"{{{NS['safe']}}}facility")
        if facility_nodes:
            facility = facility_nodes[0].get("name")

    annotations, measurements = _data_objects(root)
    angles, spacing = _annotation_facts(path, annotations)
    resolution = _resolution(product_type, mode, match["res"], spacing)

    slice_text = _field(info, "sliceNumber")
    frame = to_int(slice_text, "sliceNumber") if slice_text else None
    extra: dict[str, Any] = {
        "mission_datatake_id": datatake,
        "datatake_id_hex": match["datatake"],
        "product_unique_id": match["uid"],
        "product_class": _field(info, "productClass"),
        "product_class_description": _field(info, "productClassDescription"),
        "product_composition": _field(info, "productComposition"),
        "resolution_class": match["res"].strip("_") or None,
        "instrument_configuration_id": _optional_int(_field(info, "instrumentConfigurationID")),
        "total_slices": _optional_int(_field(info, "totalSlices")),
        "segment_start_time": _field(info, "segmentStartTime"),
        "swaths": swaths,
        "cycle_number": _optional_int(_first(_X_CYCLE(root))),
        "ascending_node_time": _first(_X_ANX(root)),
        "nssdc_identifier": _first(_X_NSSDC(root)),
        "processor": software,
        "ipf_version": software.rsplit(" ", 1)[-1] if software else None,
        "processing_facility": facility,
        "annotation_files": annotations,
        "measurement_files": measurements,
    }
    polarisation_mode = None
    if channels:
        polarisation_mode = "S" if len(channels) == 1 else "D"
    return Product(
        identifier=name,
        platform="Sentinel-1",
        platform_serial_identifier=serial,
        instrument="SAR-C",
        product_type=product_type,
        processing_level=_LEVELS.get(match["level"], f"Level-{match['level']}"),
        start=start,
        end=end,
        footprint=geometry,
        sensor_mode=mode,
        creation_date=creation,
        orbit_number=orbit,
        relative_orbit_number=relative_orbit,
        orbit_direction=direction,
        polarisation_mode=polarisation_mode,
        polarisation_channels=", ".join(channels) if channels else None,
        antenna_look_direction="RIGHT",
        minimum_incidence_angle=angles[0] if angles else None,
        maximum_incidence_angle=angles[1] if angles else None,
        resolution=resolution,
        track=relative_orbit,
        frame=frame,
        timeliness=_field(info, "productTimelinessCategory"),
        production_status="ARCHIVED",
        extra={k: v for k, v in extra.items() if v not in (None, [], "")},
    )


def _optional_int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _check_name(
    name: str,
    match: re.Match[str],
    *,
    serial: str,
    product_type: str,
    mode: str,
    swaths: list[str],
    start: datetime,
    end: datetime,
    orbit: int,
    datatake: int | None,
    channels: list[str],
) -> None:
    """The product name must agree with the manifest."""
    problems: list[str] = []
    if match["mission"] != f"S1{serial}":
        problems.append(f"platform {match['mission']} vs Sentinel-1{serial}")
    if match["type"] not in _PRODUCT_TYPES:
        problems.append(f"product type {match['type']!r} is not one of SLC, GRD, OCN")
    if match["type"] != product_type:
        problems.append(f"product type {match['type']!r} vs manifest {product_type!r}")
    if match["mode"] != mode and match["mode"] not in swaths:
        problems.append(f"mode {match['mode']} vs manifest {mode} {'/'.join(swaths)}")
    if not same_second(name_time(match["start"]), start):
        problems.append(f"start {match['start']} vs manifest {start.isoformat()}")
    if not same_second(name_time(match["stop"]), end):
        problems.append(f"stop {match['stop']} vs manifest {end.isoformat()}")
    if int(match["orbit"]) != orbit:
        problems.append(f"absolute orbit {int(match['orbit'])} vs manifest {orbit}")
    if datatake is not None and int(match["datatake"], 16) != datatake:
        problems.append(f"datatake {match['datatake']} vs manifest {datatake:06X}")
    pol = match["pol"]
    if channels:
        if pol in ("SH", "SV", "DH", "DV"):
            expected_count = 1 if pol[0] == "S" else 2
            if len(channels) != expected_count or channels[0][0] != pol[1]:
                problems.append(f"polarisation {pol} vs manifest {', '.join(channels)}")
        elif pol != "".join(channels):
            problems.append(f"polarisation {pol} vs manifest {', '.join(channels)}")
    if problems:
        raise invalid(name, "product name disagrees with the manifest: " + "; ".join(problems))


def _data_objects(root: etree._Element) -> tuple[list[str], list[str]]:
    """Relative paths of the product annotation files and the measurement files."""
    annotations: list[str] = []
    measurements: list[str] = []
    for obj in _X_OBJECTS(root):
        rep = obj.get("repID", "")
        if rep.endswith(("ProductSchema", "MeasurementSchema")):
            for href in _X_HREF(obj):
                relative = relative_href(href)
                if relative is None:
                    continue
                if rep.endswith("MeasurementSchema"):
                    measurements.append(relative)
                else:
                    annotations.append(relative)
    return annotations, measurements


def _annotation_facts(
    folder: Path, annotations: list[str]
) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
    """(min, max) incidence angle and (range, azimuth) pixel spacing from the annotation files.

    One annotation file per swath is enough (polarisations share the geometry). Nothing is
    returned unless every swath listed in the manifest has an annotation file on disk.
    """
    by_swath: dict[str, list[str]] = {}
    for relative in annotations:
        parts = PurePosixPath(relative).name.split("-")
        swath = parts[1] if len(parts) > 2 else relative
        by_swath.setdefault(swath, []).append(relative)
    if not by_swath:
        return None, None
    low = high = None
    range_spacing: float | None = None
    azimuth_spacing: float | None = None
    files: list[Path] = []
    for candidates in by_swath.values():
        file = next((folder / c for c in candidates if (folder / c).is_file()), None)
        if file is None:
            return None, None
        files.append(file)
    for file in files:
        root = read_xml(file)
        angles = [to_float(v, "incidenceAngle") for v in _A_INCIDENCE(root)]
        if not angles:
            return None, None
        low = min(angles) if low is None else min(low, min(angles))
        high = max(angles) if high is None else max(high, max(angles))
        rng = _A_RANGE_SPACING(root)
        azi = _A_AZIMUTH_SPACING(root)
        if rng:
            value = to_float(rng[0], "rangePixelSpacing")
            range_spacing = value if range_spacing is None else min(range_spacing, value)
        if azi:
            value = to_float(azi[0], "azimuthPixelSpacing")
            azimuth_spacing = value if azimuth_spacing is None else min(azimuth_spacing, value)
    angles_out = (low, high) if low is not None and high is not None else None
    spacing = (
        (range_spacing, azimuth_spacing)
        if range_spacing is not None and azimuth_spacing is not None
        else None
    )
    return angles_out, spacing


def _resolution(
    product_type: str, mode: str, resolution_class: str, spacing: tuple[float, float] | None
) -> float | None:
    if product_type == "GRD":
        if spacing is not None:
            return min(spacing)
        return GRD_PIXEL_SPACING.get((mode, resolution_class))
    if product_type == "SLC":
        return SLC_RESOLUTION.get(mode)
    return None
