"""The ``/collections/<id>-coverage/coverage*`` endpoints: parameters checked, pygeoapi called.

pygeoapi 0.21 routes ``/coverage`` only, answers 500 for a malformed ``bbox``, reads
``bbox-crs`` as an EPSG integer, takes one ``subset`` parameter and no scaling. The adapter
therefore checks every parameter first (a bad one is a 400 problem, never a traceback), picks
the served product (the latest, or the latest in the ``datetime`` window; 404 when there is
none), and hands pygeoapi's handler a view of the configuration whose provider definition
carries what pygeoapi does not route (:class:`~plugins.pygeoapi_.coverages.Extras`). The
domain set and the range type (OGC API - Coverages, CIS 1.1 JSON) are answered here from the
same product description the provider uses.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import pygeoapi.api as core_api
import pygeoapi.api.coverages as coverages_api
from pygeoapi.api import API, APIRequest
from pygeoapi.util import to_json
from rasterio.crs import CRS
from rasterio.errors import CRSError
from werkzeug.wrappers import Request

from ogc_server.archive.model import Collection, Product
from ogc_server.coverage.grid import Scaling, axis_labels
from ogc_server.coverage.sources import CoverageSource
from ogc_server.errors import InvalidQuery, OgcServerError
from ogc_server.services import Services
from plugins.pygeoapi_ import queryables
from plugins.pygeoapi_.coverages import (
    GEOTIFF,
    WGS84,
    CoverageArchive,
    Extras,
    coverage_ids,
    coverage_resource,
)

Answer = tuple[dict[str, str], int, str | bytes]
ErrorFn = Callable[[APIRequest, HTTPStatus, str, str], Answer]

_SPEC = "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf"
CONFORMANCE = [f"{_SPEC}/{name}" for name in (
    "core", "oas30", "geodata-coverage", "coverage-subset", "coverage-rangesubset",
    "coverage-bbox", "coverage-datetime", "coverage-scaling")]
REL = "http://www.opengis.net/def/rel/ogc/1.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG_URI = re.compile(r"^(?:https?://www\.opengis\.net/def/crs/EPSG/0/|EPSG:)(\d{4,6})$")
_AXIS_VALUE = re.compile(r"^\s*([A-Za-z]+)\(([^()]*)\)\s*$")
_FORMATS = {"gtiff", "geotiff", "tif", "tiff", "image/tiff"}


def wants_any_format(path: str) -> bool:
    """Whether ``path`` is a coverage endpoint (its ``f`` values are checked here)."""
    parts = path.rstrip("/").split("/")
    return parts[-1] == "coverage" or (len(parts) > 1 and parts[-2] == "coverage"
                                       and parts[-1] in ("domainset", "rangetype"))


class Coverages:
    """The coverage collections of one application and their endpoints."""

    def __init__(self, services: Services, collections: list[Collection],
                 record_collection: Callable[[str], str | None]):
        self.archive = CoverageArchive(services)
        self.ids = coverage_ids(collections)
        self._record_collection = record_collection

    def resources(self, extents: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """pygeoapi resources of the coverage collections (``extents``: per id)."""
        return {cid: coverage_resource(cid, collection, self.archive, extents[cid])
                for cid, collection in self.ids.items()}

    def document(self, openapi: dict[str, Any]) -> None:
        """Add the parameters and paths pygeoapi 0.21 leaves out to its OpenAPI document."""
        paths = openapi.setdefault("paths", {})
        for cid in self.ids:
            get = paths.get(f"/collections/{cid}/coverage", {}).get("get")
            if get is not None:
                get["parameters"] = [p for p in get["parameters"] if "bbox-crs" not in str(p)]
                get["parameters"] += [_query(name, text) for name, text in _PARAMETERS]
                get["responses"]["200"] = {"description": "the coverage as GeoTIFF",
                                           "content": {GEOTIFF["mimetype"]: {}}}
            for part, what in (("domainset", "domain set"), ("rangetype", "range type")):
                paths[f"/collections/{cid}/coverage/{part}"] = {"get": {
                    "summary": f"The {what} of the served product's coverage", "tags": [cid],
                    "operationId": f"get{cid}Coverage{part.capitalize()}",
                    "parameters": [_query("datetime", _PARAMETERS[-1][1])],
                    "responses": {"200": {"description": f"CIS 1.1 JSON {what}"},
                                  "404": {"description": "no online product"}},
                }}

    # Endpoints --------------------------------------------------------------------------------

    def answer(self, api: API, request: Request, error: ErrorFn, cid: str,
               part: str) -> Answer:
        """``coverage``, ``domainset`` or ``rangetype`` (``part``) of collection ``cid``."""
        if cid not in self.ids:
            return error(_plain(request, api), HTTPStatus.NOT_FOUND, "NotFound",
                         f"no coverage collection {cid!r}")
        if part == "domainset":
            return self._describe(api, request, error, cid, _domainset)
        if part == "rangetype":
            return self._describe(api, request, error, cid, _rangetype)
        return self._coverage(api, request, error, cid)

    def _coverage(self, api: API, request: Request, error: ErrorFn, cid: str) -> Answer:
        plain = _plain(request, api)
        try:
            fmt = request.args.get("f")
            if fmt is not None and fmt.strip().lower() not in _FORMATS:
                raise InvalidQuery(f"f: {fmt!r} is not offered; the coverage is served as "
                                   "GeoTIFF only (f=GTiff)", locator="f")
            bbox_crs, lat_first = _bbox_crs(request.args.get("bbox-crs"))
            bbox = _bbox(request.args.get("bbox"), bbox_crs, lat_first)
            scaling = _scaling(request.args)
            product = self._product(cid, request.args.get("datetime"))
        except InvalidQuery as exc:
            return error(plain, HTTPStatus.BAD_REQUEST, "InvalidParameterValue", exc.user_msg)
        if product is None:
            return error(plain, HTTPStatus.NOT_FOUND, "NotFound",
                         "no online product of this collection (in this datetime window)")
        args = [(k, v) for k, v in request.args.items(multi=True)
                if k not in ("f", "subset", "bbox", "bbox-crs", "datetime")]
        args.append(("f", GEOTIFF["name"]))
        subsets = [s for s in request.args.getlist("subset") if s.strip()]
        if subsets:
            args.append(("subset", ",".join(subsets)))
        if bbox is not None:
            args.append(("bbox", ",".join(repr(v) for v in bbox)))
        environ = {**request.environ, "QUERY_STRING": urlencode(args)}
        api_request = APIRequest(Request(environ), api.locales)
        extras = Extras(product=product.identifier, scaling=scaling, bbox_crs=bbox_crs)
        return coverages_api.get_collection_coverage(_view(api, cid, extras), api_request, cid)

    def decorate(self, api: API, doc: dict[str, Any]) -> None:
        """The links and facts pygeoapi does not write into a coverage collection document."""
        cid = doc.get("id", "")
        url = f"{api.get_collections_url()}/{cid}"
        doc["links"] = [link for link in doc.get("links", [])
                        if link.get("type") != "application/prs.coverage+json"]
        doc["links"] += [
            {"rel": f"{REL}/coverage-domainset", "type": "application/json",
             "title": "Domain set of the coverage", "href": f"{url}/coverage/domainset"},
            {"rel": f"{REL}/coverage-rangetype", "type": "application/json",
             "title": "Range type of the coverage", "href": f"{url}/coverage/rangetype"},
        ]
        spatial = doc.get("extent", {}).get("spatial", {})
        if any(axis.get("cellsCount") is None for axis in spatial.get("grid", [])):
            spatial.pop("grid", None)
        collection = self.ids.get(cid)
        records = self._record_collection(collection.identifier) if collection else None
        if records:
            doc["links"].append({"rel": "related", "type": "application/geo+json",
                                 "title": "Records of the collection's products",
                                 "href": f"{api.get_collections_url()}/{records}/items"})

    # Helpers ----------------------------------------------------------------------------------

    def _product(self, cid: str, window: str | None) -> Product | None:
        collection = self.ids[cid]
        start: datetime | None = None
        end: datetime | None = None
        if window is not None:
            start, end = queryables.parse_datetime(window)
        return self.archive.latest(collection.identifier, start, end)

    def _describe(self, api: API, request: Request, error: ErrorFn, cid: str,
                  build: Callable[[Product, CoverageSource], dict[str, Any]]) -> Answer:
        plain = _plain(request, api)
        try:
            product = self._product(cid, request.args.get("datetime"))
            if product is None:
                return error(plain, HTTPStatus.NOT_FOUND, "NotFound",
                             "no online product of this collection (in this datetime window)")
            source = self.archive.source(product)
        except InvalidQuery as exc:
            return error(plain, HTTPStatus.BAD_REQUEST, "InvalidParameterValue", exc.user_msg)
        except OgcServerError as exc:
            return error(plain, HTTPStatus.NOT_FOUND, "NotFound", exc.user_msg)
        headers = plain.get_response_headers(core_api.SYSTEM_LOCALE, **api.api_headers)
        headers["Content-Type"] = "application/json"
        return headers, HTTPStatus.OK, to_json(build(product, source), api.pretty_print)


_PARAMETERS = (
    ("bbox-crs", "CRS of bbox: CRS84 (default) or an EPSG CRS URI"),
    ("subset", "E(low:high),N(low:high) in the native CRS, or Lat(...),Long(...)"),
    ("properties", "band names, comma separated, in output order"),
    ("scale-factor", "a factor for both axes (0.5 halves the number of pixels)"),
    ("scale-axes", "factors per axis: E(0.5),N(0.5)"),
    ("scale-size", "pixels per axis: E(512),N(512)"),
    ("datetime", "serve the latest product acquired in this instant or interval"),
)


def _query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"},
            "description": description}


def _plain(request: Request, api: API) -> APIRequest:
    """pygeoapi's request without parameters (for JSON answers whatever ``f`` says)."""
    return APIRequest(Request({**request.environ, "QUERY_STRING": ""}), api.locales)


def _view(api: API, cid: str, extras: Extras) -> API:
    """``api`` whose coverage resource ``cid`` has no temporal extent (``datetime`` chooses
    the product, it is not checked against the extent) and carries ``extras``."""
    resource = api.config["resources"][cid]
    provider = {**resource["providers"][0], "extras": extras}
    spatial = {"spatial": resource["extents"]["spatial"]}
    view = copy.copy(api)
    view.config = {**api.config, "resources": {
        **api.config["resources"],
        cid: {**resource, "extents": spatial, "providers": [provider]}}}
    return view


def _bbox_crs(value: str | None) -> tuple[CRS, bool]:
    """The CRS of ``bbox`` and whether its axis order is latitude first."""
    if value is None or value.strip() == CRS84:
        return WGS84, False
    match = _EPSG_URI.match(value.strip())
    if match is None:
        raise InvalidQuery(f"bbox-crs: {value!r} is not a CRS URI (use {CRS84} or "
                           "http://www.opengis.net/def/crs/EPSG/0/<code>)", locator="bbox-crs")
    try:
        crs = CRS.from_epsg(int(match.group(1)))
    except CRSError as exc:
        raise InvalidQuery(f"bbox-crs: unknown CRS {value!r}", locator="bbox-crs") from exc
    return crs, crs.is_geographic


def _bbox(value: str | None, crs: CRS, lat_first: bool
          ) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` in CRS84, or in ``bbox-crs`` in that CRS's axis order (an EPSG
    geographic CRS is latitude first); returned easting/longitude first."""
    if value is None:
        return None
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError as exc:
        raise InvalidQuery("bbox: the values must be numbers", locator="bbox") from exc
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise InvalidQuery("bbox: give four numbers minx,miny,maxx,maxy", locator="bbox")
    if lat_first:
        numbers = [numbers[1], numbers[0], numbers[3], numbers[2]]
    minx, miny, maxx, maxy = numbers
    if minx > maxx or miny > maxy:
        raise InvalidQuery("bbox: the lower corner is above the upper corner (a box across "
                           "the antimeridian is not a coverage subset)", locator="bbox")
    if crs.is_geographic and (miny < -90 or maxy > 90):
        raise InvalidQuery("bbox: latitudes lie between -90 and 90", locator="bbox")
    return minx, miny, maxx, maxy


def _scaling(args: Any) -> Scaling:
    given = [name for name in ("scale-factor", "scale-axes", "scale-size") if name in args]
    if len(given) > 1:
        raise InvalidQuery(f"{' and '.join(given)}: give one of them", locator=given[0])
    if "scale-factor" in args:
        factor = _number(args["scale-factor"], "scale-factor")
        if factor <= 0:
            raise InvalidQuery("scale-factor: must be above 0", locator="scale-factor")
        return Scaling(factor=factor)
    if "scale-axes" in args:
        axes = _axis_values(args["scale-axes"], "scale-axes")
        if any(v <= 0 for v in axes.values()):
            raise InvalidQuery("scale-axes: factors must be above 0", locator="scale-axes")
        return Scaling(axes=axes)
    if "scale-size" in args:
        sizes = _axis_values(args["scale-size"], "scale-size")
        if any(v < 1 or v != int(v) for v in sizes.values()):
            raise InvalidQuery("scale-size: sizes must be whole numbers above 0",
                               locator="scale-size")
        return Scaling(size={axis: int(v) for axis, v in sizes.items()})
    return Scaling()


def _axis_values(text: str, name: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in text.split(","):
        match = _AXIS_VALUE.match(part)
        if match is None:
            raise InvalidQuery(f"{name}: use axis(value),axis(value), e.g. E(512),N(512)",
                               locator=name)
        out[match.group(1)] = _number(match.group(2), name)
    return out


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise InvalidQuery(f"{name}: {text!r} is not a number", locator=name) from exc
    if not math.isfinite(value):
        raise InvalidQuery(f"{name}: {text!r} is not a finite number", locator=name)
    return value


def _domainset(product: Product, source: CoverageSource) -> dict[str, Any]:
    """CIS 1.1 JSON domain set: the product's native grid (regular axes, then grid limits)."""
    x_label, y_label = axis_labels(source.crs)
    minx, miny, maxx, maxy = source.bounds
    res_x, res_y = source.resolution
    uom = "deg" if source.crs.is_geographic else "m"
    code = source.crs.to_epsg()
    srs = f"http://www.opengis.net/def/crs/EPSG/0/{code}" if code else source.crs.to_wkt()
    return {
        "type": "DomainSetType",
        "generalGrid": {
            "type": "GeneralGridCoverageType",
            "srsName": srs,
            "axisLabels": [x_label, y_label],
            "axis": [
                {"type": "RegularAxisType", "axisLabel": x_label, "lowerBound": minx,
                 "upperBound": maxx, "uomLabel": uom, "resolution": res_x},
                {"type": "RegularAxisType", "axisLabel": y_label, "lowerBound": miny,
                 "upperBound": maxy, "uomLabel": uom, "resolution": -res_y},
            ],
            "gridLimits": {
                "type": "GridLimitsType",
                "srsName": "http://www.opengis.net/def/crs/OGC/0/Index2D",
                "axisLabels": ["i", "j"],
                "axis": [
                    {"type": "IndexAxisType", "axisLabel": "i", "lowerBound": 0,
                     "upperBound": source.width - 1},
                    {"type": "IndexAxisType", "axisLabel": "j", "lowerBound": 0,
                     "upperBound": source.height - 1},
                ],
            },
        },
        "product": {"id": product.identifier,
                    "datetime": product.start.isoformat() if product.start else None},
    }


def _rangetype(product: Product, source: CoverageSource) -> dict[str, Any]:
    """CIS 1.1 JSON range type: one quantity per band, digital numbers as stored."""
    definition = ("http://www.opengis.net/def/property/OGC/0/Amplitude" if source.by_gcps
                  else "http://www.opengis.net/def/property/OGC/0/Radiance")
    return {
        "type": "DataRecordType",
        "field": [{
            "type": "QuantityType", "id": band.name, "name": band.name,
            "definition": definition, "description": band.description,
            "encodingInfo": {"dataType": f"http://www.opengis.net/def/dataType/OGC/0/"
                                         f"{source.dtype}"},
            "nilValues": [{"value": source.nodata,
                           "reason": "http://www.opengis.net/def/nil/OGC/0/missing"}],
            "uom": {"type": "UnitReference", "code": "1"},
        } for band in source.bands],
        "product": {"id": product.identifier},
    }
