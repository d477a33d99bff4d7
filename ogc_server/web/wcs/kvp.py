"""WCS 2.0.1 KVP parameters (OGC 09-147r3 and the extensions' KVP) -> ``CoverageRequest``.

Names are case-insensitive, values are not (band names are matched case-insensitively later).
Every malformed value raises an :class:`~ogc_server.web.wcs.errors.OwsError` with the WCS code
and the parameter as locator.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import CRSError

from ogc_server.coverage.grid import CoverageRequest, Scaling, Subset
from ogc_server.coverage.render import MEDIA_TYPES
from ogc_server.web.wcs.errors import OwsError

CRS_PREFIX = "http://www.opengis.net/def/crs/EPSG/0/"
INTERPOLATION_PREFIX = "http://www.opengis.net/def/interpolation/OGC/1/"
#: Interpolation methods: (URI of the Interpolation extension, GDAL resampling).
INTERPOLATIONS: dict[str, tuple[str, Resampling]] = {
    "nearest": (INTERPOLATION_PREFIX + "nearest-neighbor", Resampling.nearest),
    "linear": (INTERPOLATION_PREFIX + "linear", Resampling.bilinear),
    "cubic": (INTERPOLATION_PREFIX + "cubic", Resampling.cubic),
}
_ALIASES = {"nearest-neighbor": "nearest", "nearest-neighbour": "nearest",
            "nearestneighbor": "nearest", "bilinear": "linear", "bicubic": "cubic"}
#: Output CRSs every coverage can be asked in, besides its own (e.g. the tile's UTM zone).
OUTPUT_CRS = (4326, 3857, 25832, 25833, 3035)
_SUBSET = re.compile(r"^\s*([A-Za-z_][\w.-]*)\s*(?:,\s*(\S+?)\s*)?\((.*)\)\s*$")
_AXIS_VALUE = re.compile(r"^\s*([A-Za-z_][\w.-]*)\s*\(\s*([^()]*?)\s*\)\s*$")
MEDIA_ALIASES = {"application/x-netcdf": "application/netcdf", "netcdf": "application/netcdf",
                 "image/geotiff": "image/tiff", "geotiff": "image/tiff",
                 "image/tiff; application=geotiff": "image/tiff"}


def parse_crs(value: str, locator: str, native: CRS | None = None) -> CRS:
    """An EPSG CRS given as an OGC URI or ``EPSG:<code>``, one we serve."""
    text = value.strip()
    code = None
    for prefix in (CRS_PREFIX, CRS_PREFIX.replace("http:", "https:"), "EPSG:", "epsg:"):
        if text.startswith(prefix):
            code = text[len(prefix):]
    if code is None or not code.isdigit():
        raise OwsError("InvalidParameterValue",
                       f"{locator} {value!r} is not an EPSG CRS ({CRS_PREFIX}<code>)", locator)
    epsg = int(code)
    native_epsg = native.to_epsg() if native is not None else None
    if epsg not in OUTPUT_CRS and epsg != native_epsg:
        served = ", ".join(f"EPSG:{c}" for c in OUTPUT_CRS)
        raise OwsError("InvalidParameterValue",
                       f"{locator} EPSG:{epsg} is not served; use {served} or the coverage's "
                       "own CRS", locator)
    try:
        return CRS.from_epsg(epsg)
    except CRSError:
        raise OwsError("InvalidParameterValue", f"{locator} EPSG:{epsg} is unknown",
                       locator) from None


def crs_uri(crs: CRS) -> str:
    return f"{CRS_PREFIX}{crs.to_epsg()}"


def _number(text: str, locator: str) -> float | None:
    text = text.strip().strip('"')
    if text == "*":
        return None
    try:
        value = float(text)
    except ValueError:
        raise OwsError("InvalidSubsetting", f"subset {locator}: {text!r} is not a number",
                       locator) from None
    if not math.isfinite(value):
        raise OwsError("InvalidSubsetting", f"subset {locator}: {text!r} is not a number",
                       locator)
    return value


def parse_subsets(values: Iterable[str]) -> tuple[Subset, ...]:
    """``Lat(47,48)``, ``E(*,500000)``, ``Long(9.5)``; a CRS inside (1.0 KVP) is refused."""
    subsets = []
    for value in values:
        match = _SUBSET.match(value)
        if not match:
            raise OwsError("InvalidSubsetting", f"subset {value!r} is not axis(low,high) or "
                           "axis(point)", "subset")
        axis, crs, body = match.groups()
        if crs:
            raise OwsError("InvalidSubsetting", "a CRS inside a subset is not supported: use "
                           "subsettingCrs", axis)
        parts = body.split(",")
        if len(parts) == 1:
            point = _number(parts[0], axis)
            if point is None:
                raise OwsError("InvalidSubsetting", f"subset {axis}: a slice needs a value",
                               axis)
            subsets.append(Subset(axis, point, point, slice=True))
        elif len(parts) == 2:
            subsets.append(Subset(axis, _number(parts[0], axis), _number(parts[1], axis)))
        else:
            raise OwsError("InvalidSubsetting", f"subset {value!r} has {len(parts)} values",
                           axis)
    return tuple(subsets)


def _axis_values(value: str, locator: str) -> list[tuple[str, str]]:
    """``E(100),N(200)`` -> [("E", "100"), ("N", "200")]."""
    items = re.findall(r"[^,()]+\([^()]*\)", value)
    if not items or "".join(items).replace(" ", "") != value.replace(",", "").replace(" ", ""):
        raise OwsError("InvalidParameterValue", f"{locator} {value!r} is not axis(value),...",
                       locator)
    pairs = []
    for item in items:
        match = _AXIS_VALUE.match(item)
        if not match:
            raise OwsError("InvalidParameterValue", f"{locator}: {item!r} is not axis(value)",
                           locator)
        pairs.append((match.group(1), match.group(2)))
    return pairs


def parse_scaling(args: dict[str, str]) -> Scaling:
    given = [k for k in ("scalefactor", "scaleaxes", "scalesize", "scaleextent") if k in args]
    if len(given) > 1:
        raise OwsError("InvalidParameterValue", "give only one of scaleFactor, scaleAxes, "
                       "scaleSize and scaleExtent", given[1])
    if not given:
        return Scaling()
    key = given[0]
    value = args[key]
    try:
        if key == "scalefactor":
            return Scaling(factor=float(value))
        if key == "scaleaxes":
            return Scaling(axes={a: float(v) for a, v in _axis_values(value, "scaleAxes")})
        if key == "scalesize":
            return Scaling(size={a: int(v) for a, v in _axis_values(value, "scaleSize")})
    except ValueError:
        raise OwsError("InvalidParameterValue", f"{key} {value!r} has a value that is not a "
                       "number", key) from None
    raise OwsError("OperationNotSupported", "scaleExtent is not supported; use scaleSize",
                   "scaleExtent", status=501)


def parse_range_subset(value: str | None, names: list[str]) -> tuple[str, ...]:
    """``B04,B03`` or ``B02:B04`` (an interval in the coverage's band order)."""
    if not value:
        return ()
    upper = [n.upper() for n in names]
    chosen: list[str] = []
    for item in value.split(","):
        item = item.strip()
        if ":" in item:
            low, high = (part.strip().upper() for part in item.split(":", 1))
            if low not in upper or high not in upper or upper.index(low) > upper.index(high):
                raise OwsError("InvalidParameterValue", f"rangeSubset interval {item!r} is not "
                               f"an interval of {', '.join(names)}", "rangeSubset")
            chosen += names[upper.index(low):upper.index(high) + 1]
        elif item.upper() in upper:
            chosen.append(names[upper.index(item.upper())])
        else:
            raise OwsError("InvalidParameterValue", f"no band {item!r}; the coverage has "
                           f"{', '.join(names)}", "rangeSubset")
    return tuple(chosen)


def parse_interpolation(value: str | None) -> Resampling:
    if not value:
        return Resampling.nearest
    text = value.strip()
    name = text[len(INTERPOLATION_PREFIX):] if text.startswith(INTERPOLATION_PREFIX) else text
    name = _ALIASES.get(name.lower(), name.lower())
    if name not in INTERPOLATIONS:
        raise OwsError("InterpolationMethodNotSupported",
                       f"interpolation {value!r} is not supported; use "
                       f"{', '.join(uri for uri, _ in INTERPOLATIONS.values())}",
                       "interpolation")
    return INTERPOLATIONS[name][1]


def parse_format(value: str | None) -> str:
    if not value:
        return "image/tiff"
    media = value.strip().lower()
    media = MEDIA_ALIASES.get(media, media)
    if media not in MEDIA_TYPES:
        raise OwsError("InvalidParameterValue", f"format {value!r} is not served; use "
                       f"{' or '.join(MEDIA_TYPES)}", "format")
    return media


def coverage_request(args: dict[str, str], subsets: list[str], native: CRS,
                     names: list[str]) -> CoverageRequest:
    """The typed request of a GetCoverage KVP (``args`` with lower-case names)."""
    if args.get("mediatype"):
        raise OwsError("InvalidParameterValue", "mediaType (multipart answers) is not "
                       "supported: leave it out to get the coverage file alone", "mediaType")
    subsetting = args.get("subsettingcrs")
    output = args.get("outputcrs")
    return CoverageRequest(
        subsets=parse_subsets(subsets),
        subsetting_crs=parse_crs(subsetting, "subsettingCrs", native) if subsetting else None,
        output_crs=parse_crs(output, "outputCrs", native) if output else None,
        scaling=parse_scaling(args),
        bands=parse_range_subset(args.get("rangesubset"), names),
        resampling=parse_interpolation(args.get("interpolation")),
        media_type=parse_format(args.get("format")),
    )
