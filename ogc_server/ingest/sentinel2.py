"""Sentinel-2 MSI products (SAFE, compact naming): the product metadata file
``MTD_MSIL1C.xml`` / ``MTD_MSIL2A.xml`` (found case-insensitively).

The identifier is the ``PRODUCT_URI`` the metadata states. The folder name must agree with it
in every field it carries; a folder name without the ``_Nxxxx`` baseline token is accepted.
``resolution`` is 10 m (the finest MSI bands); ``snow_cover`` is stated by Level-2A products
only.
"""

from __future__ import annotations

import os
import re
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
    same_second,
    to_float,
    to_int,
)

__all__ = ["RESOLUTION", "read"]

RESOLUTION = 10.0
"""Ground sampling distance of the finest MSI bands (B02, B03, B04, B08), metres."""

_NAME = re.compile(
    r"(?P<mission>S2[A-D])_MSI(?P<level>L1C|L2A)_(?P<start>\d{8}T\d{6})"
    r"(?:_N(?P<baseline>\d{4}))?_R(?P<orbit>\d{3})_T(?P<tile>\d{2}[A-Z]{3})_(?P<discriminator>\d{8}T\d{6})"
)
"""Compact product name; the ``_Nxxxx`` baseline token may be missing from a folder name."""
_DATATAKE = re.compile(
    r"G(?P<mission>S2[A-D])_(?P<start>\d{8}T\d{6})_(?P<orbit>\d{6})_N(?P<pb>[\d.]+)"
)
_TILE_IN_ID = re.compile(r"_T(\d{2}[A-Z]{3})_")


def _xp(expr: str) -> etree.XPath:
    return etree.XPath(expr, smart_strings=False)


_INFO = "/*/*[local-name()='General_Info']/Product_Info/"
_X_START = _xp(_INFO + "PRODUCT_START_TIME/text()")
_X_STOP = _xp(_INFO + "PRODUCT_STOP_TIME/text()")
_X_URI = _xp(_INFO + "PRODUCT_URI/text()")
_X_LEVEL = _xp(_INFO + "PROCESSING_LEVEL/text()")
_X_TYPE = _xp(_INFO + "PRODUCT_TYPE/text()")
_X_BASELINE = _xp(_INFO + "PROCESSING_BASELINE/text()")
_X_DOI = _xp(_INFO + "PRODUCT_DOI/text()")
_X_GENERATION = _xp(_INFO + "GENERATION_TIME/text()")
_X_DATATAKE = _xp(_INFO + "Datatake")
_X_FORMAT = _xp(_INFO + "Query_Options/PRODUCT_FORMAT/text()")
_X_GRANULE = _xp(_INFO + "Product_Organisation/Granule_List/Granule")
_X_IMAGE_FILES = _xp("IMAGE_FILE/text()")
_X_FOOTPRINT = _xp(
    "/*/*[local-name()='Geometric_Info']/Product_Footprint/Product_Footprint/Global_Footprint/"
    "EXT_POS_LIST/text()"
)
_QI = "/*/*[local-name()='Quality_Indicators_Info']/"
_X_CLOUD = _xp(_QI + "Cloud_Coverage_Assessment/text()")
_X_SNOW = _xp(_QI + "Image_Content_QI/SNOW_ICE_PERCENTAGE/text()")
_X_NODATA = _xp(_QI + "Image_Content_QI/NODATA_PIXEL_PERCENTAGE/text()")
_X_DEGRADED = _xp(_QI + "Technical_Quality_Assessment/DEGRADED_MSI_DATA_PERCENTAGE/text()")
_X_CHECKS = _xp(_QI + "Quality_Control_Checks/Quality_Inspections/quality_check")


def _one(xpath: etree.XPath, root: etree._Element) -> str | None:
    for value in xpath(root):
        value = value.strip()
        if value:
            return value
    return None


def read(path: Path) -> Product:
    """Read the Sentinel-2 product folder ``path`` (``<name>.SAFE``)."""
    path = Path(path)
    name = product_name(path)
    with reading(name):
        return _read(path, name)


def _metadata_file(path: Path, level: str) -> Path:
    wanted = f"MTD_MSI{level}.xml"
    exact = path / wanted
    if exact.is_file():
        return exact
    try:
        entries = os.listdir(path)
    except FileNotFoundError:
        raise FileNotFoundError(2, "missing", path.name) from None
    for entry in entries:
        if entry.lower() == wanted.lower() and (path / entry).is_file():
            return path / entry
    raise FileNotFoundError(2, "missing", wanted)


def _read(path: Path, name: str) -> Product:
    folder = _NAME.fullmatch(name)
    if folder is None:
        raise invalid(
            name, "not a Sentinel-2 product name (S2x_MSIL1C|L2A_start_Nxxxx_Rxxx_Txxxxx_...)"
        )
    root = read_xml(_metadata_file(path, folder["level"]))
    uri = _one(_X_URI, root)
    if uri is None:
        raise invalid(name, "metadata states no PRODUCT_URI")
    identifier = product_name(uri)
    match = _NAME.fullmatch(identifier)
    if match is None or match["baseline"] is None:
        raise invalid(name, f"the metadata's PRODUCT_URI {uri!r} is not a Sentinel-2 name")
    differing = [k for k, v in folder.groupdict().items() if v is not None and v != match[k]]
    if differing:
        raise invalid(
            name,
            f"folder name disagrees with the metadata's PRODUCT_URI {uri!r} "
            f"({', '.join(differing)})",
        )

    product_type = _one(_X_TYPE, root)
    level = _one(_X_LEVEL, root)
    if product_type is None or level is None:
        raise invalid(name, "metadata states no PRODUCT_TYPE / PROCESSING_LEVEL")
    start = parse_time(_one(_X_START, root), "PRODUCT_START_TIME")
    end = parse_time(_one(_X_STOP, root), "PRODUCT_STOP_TIME")
    check_period(start, end)
    creation = parse_time(_one(_X_GENERATION, root), "GENERATION_TIME")
    baseline = _one(_X_BASELINE, root)

    datatakes = _X_DATATAKE(root)
    if not datatakes:
        raise invalid(name, "metadata states no Datatake")
    datatake = datatakes[0]
    datatake_id = datatake.get("datatakeIdentifier", "").strip()
    spacecraft = (datatake.findtext("SPACECRAFT_NAME") or "").strip()
    serial = spacecraft.rsplit("-", 1)[-1][-1:] if spacecraft.startswith("Sentinel-2") else ""
    if not serial:
        raise invalid(name, f"metadata names spacecraft {spacecraft!r}, not Sentinel-2")
    relative_orbit = to_int(datatake.findtext("SENSING_ORBIT_NUMBER"), "SENSING_ORBIT_NUMBER")
    direction = (datatake.findtext("SENSING_ORBIT_DIRECTION") or "").strip().upper() or None
    if direction not in (None, "ASCENDING", "DESCENDING"):
        raise invalid(name, f"metadata states orbit direction {direction!r}")
    sensor_mode = (datatake.findtext("DATATAKE_TYPE") or "").strip() or None
    datatake_match = _DATATAKE.fullmatch(datatake_id)
    orbit = int(datatake_match["orbit"]) if datatake_match else None

    granules = _X_GRANULE(root)
    granule_id = granules[0].get("granuleIdentifier") if granules else None
    datastrip_id = granules[0].get("datastripIdentifier") if granules else None
    image_files = [f.strip() for g in granules for f in _X_IMAGE_FILES(g) if f.strip()]

    _check_name(
        name,
        match,
        serial=serial,
        spacecraft=spacecraft,
        product_type=product_type,
        start=start,
        relative_orbit=relative_orbit,
        baseline=baseline,
        granule_id=granule_id,
        datatake_id=datatake_id,
    )

    geometry = footprint([latlon_pairs(_one(_X_FOOTPRINT, root), "EXT_POS_LIST")])
    cloud_text = _one(_X_CLOUD, root)
    snow_text = _one(_X_SNOW, root)
    extra: dict[str, Any] = {
        "datatake_id": datatake_id or None,
        "granule_id": granule_id,
        "datastrip_id": datastrip_id,
        "product_doi": _one(_X_DOI, root),
        "product_format": _one(_X_FORMAT, root),
        **_quality(root),
        "image_files": image_files,
    }
    return Product(
        identifier=identifier,
        platform="Sentinel-2",
        platform_serial_identifier=serial,
        instrument="MSI",
        product_type=product_type,
        processing_level=level,
        start=start,
        end=end,
        footprint=geometry,
        sensor_mode=sensor_mode,
        creation_date=creation,
        orbit_number=orbit,
        relative_orbit_number=relative_orbit,
        orbit_direction=direction,
        cloud_cover=to_float(cloud_text, "Cloud_Coverage_Assessment") if cloud_text else None,
        snow_cover=to_float(snow_text, "SNOW_ICE_PERCENTAGE") if snow_text else None,
        resolution=RESOLUTION,
        tile_id=match["tile"],
        track=relative_orbit,
        processing_baseline=baseline,
        production_status="ARCHIVED",
        extra={k: v for k, v in extra.items() if v not in (None, [], "")},
    )


def _check_name(
    name: str,
    match: re.Match[str],
    *,
    serial: str,
    spacecraft: str,
    product_type: str,
    start: datetime,
    relative_orbit: int,
    baseline: str | None,
    granule_id: str | None,
    datatake_id: str,
) -> None:
    """The product name must agree with the metadata."""
    problems: list[str] = []
    if match["mission"] != f"S2{serial}":
        problems.append(f"platform {match['mission']} vs {spacecraft}")
    if not product_type.startswith(f"S2MSI{match['level'][1:]}"):
        problems.append(f"level {match['level']} vs PRODUCT_TYPE {product_type}")
    if not same_second(name_time(match["start"]), start):
        problems.append(f"start {match['start']} vs PRODUCT_START_TIME {start.isoformat()}")
    if int(match["orbit"]) != relative_orbit:
        problems.append(f"relative orbit R{match['orbit']} vs {relative_orbit}")
    if baseline is not None and match["baseline"] != baseline.replace(".", ""):
        problems.append(f"baseline N{match['baseline']} vs PROCESSING_BASELINE {baseline}")
    tile_match = _TILE_IN_ID.search(granule_id or "")
    if tile_match is not None and tile_match.group(1) != match["tile"]:
        problems.append(f"tile T{match['tile']} vs granule T{tile_match.group(1)}")
    datatake_match = _DATATAKE.fullmatch(datatake_id)
    if datatake_match is not None and datatake_match["mission"] != match["mission"]:
        problems.append(f"platform {match['mission']} vs datatake {datatake_id}")
    if problems:
        raise invalid(name, "product name disagrees with the metadata: " + "; ".join(problems))


def _quality(root: etree._Element) -> dict[str, Any]:
    nodata = _one(_X_NODATA, root)
    degraded = _one(_X_DEGRADED, root)
    checks = {
        c.get("checkType"): (c.text or "").strip() for c in _X_CHECKS(root) if c.get("checkType")
    }
    return {
        "nodata_pixel_percentage": to_float(nodata, "NODATA_PIXEL_PERCENTAGE") if nodata else None,
        "degraded_msi_data_percentage": to_float(degraded, "DEGRADED_MSI_DATA_PERCENTAGE")
        if degraded
        else None,
        "quality_checks": checks or None,
    }
