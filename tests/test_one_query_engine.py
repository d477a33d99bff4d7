"""One query engine: the same logical query through OpenSearch, CSW, OGC API Records and
Features, STAC and WFS gives the same products and the same totals, on SQLite and on PostGIS."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from lxml import etree
from werkzeug.test import Client

from ogc_server.archive.query import ProductQuery, bbox_geometry
from ogc_server.compose import build_application
from ogc_server.services import build_services
from ogc_server.settings import Settings
from tests.conftest import DEMO_NOW

BBOX = (-25.0, 34.0, 45.0, 72.0)  # Europe
START, END = "2025-11-01T00:00:00Z", DEMO_NOW.replace("+00:00", "Z")
QUESTIONS = [
    ("EOP:CODE-DE:S2_MSI_L1C", None, None),
    ("EOP:CODE-DE:S1_SAR_L1_GRD", BBOX, None),
    ("EOP:CODE-DE:S2_MSI_L2A", BBOX, (START, END)),
    ("EOP:CODE-DE:S3_OLCI_L1", None, (START, END)),
]


@pytest.fixture(scope="module")
def client(demo_settings: Settings):
    services = build_services(demo_settings, migrate=False)
    yield Client(build_application(demo_settings, services)), services
    services.engine.dispose()


def _opensearch(client: Client, collection, bbox, window) -> tuple[set[str], int]:
    args = {"parentIdentifier": collection, "maximumRecords": 500,
            "httpAccept": "application/geo+json"}
    if bbox:
        args["bbox"] = ",".join(map(str, bbox))
    if window:
        args["startDate"], args["endDate"] = window
    doc = json.loads(client.get("/opensearch/request?" + urlencode(args)).data)
    ids = {f["properties"]["identifier"] for f in doc["features"]}
    return ids, doc["totalResults"]


def _stac(client: Client, collection, bbox, window) -> tuple[set[str], int]:
    body: dict = {"collections": [collection], "limit": 1000}
    if bbox:
        body["bbox"] = list(bbox)
    if window:
        body["datetime"] = f"{window[0]}/{window[1]}"
    doc = client.post("/stac/search", json=body).get_json()
    return {f["id"] for f in doc["features"]}, doc["numberMatched"]


def _records(client: Client, collection, bbox, window) -> tuple[set[str], int]:
    args = {"limit": 1000, "f": "json"}
    if bbox:
        args["bbox"] = ",".join(map(str, bbox))
    if window:
        args["datetime"] = f"{window[0]}/{window[1]}"
    short = collection.rsplit(":", 1)[-1]
    doc = json.loads(client.get(f"/ogcapi/collections/{short}/items?" + urlencode(args)).data)
    return {f["id"] for f in doc["features"]}, doc["numberMatched"]


def _csw(client: Client, collection, bbox, window) -> tuple[set[str], int]:
    parts = [f"apiso:ParentIdentifier = '{collection}'"]
    if bbox:
        w, s, e, n = bbox
        parts.append(f"BBOX(apiso:BoundingBox, {w}, {s}, {e}, {n})")
    if window:
        parts.append(f"apiso:TempExtent_begin <= '{window[1]}'")
        parts.append(f"apiso:TempExtent_end >= '{window[0]}'")
    args = {"service": "CSW", "version": "2.0.2", "request": "GetRecords",
            "typeNames": "csw:Record", "resultType": "results", "elementSetName": "brief",
            "maxRecords": 1000, "constraintLanguage": "CQL_TEXT",
            "constraint_language_version": "1.1.0", "constraint": " AND ".join(parts)}
    root = etree.fromstring(client.get("/csw?" + urlencode(args)).data)
    ns = {"csw": "http://www.opengis.net/cat/csw/2.0.2", "dc": "http://purl.org/dc/elements/1.1/"}
    results = root.find(".//csw:SearchResults", ns)
    assert results is not None, etree.tostring(root)[:500]
    ids = {e.text for e in results.findall(".//dc:identifier", ns)}
    return ids, int(results.get("numberOfRecordsMatched"))


def _features(client: Client, collection, bbox, window) -> tuple[set[str], int]:
    args = {"limit": 1000, "f": "json"}
    if bbox:
        args["bbox"] = ",".join(map(str, bbox))
    if window:
        args["datetime"] = f"{window[0]}/{window[1]}"
    short = collection.rsplit(":", 1)[-1]
    doc = json.loads(client.get(f"/ogcapi/collections/{short}-footprints/items?"
                                + urlencode(args)).data)
    return {f["id"] for f in doc["features"]}, doc["numberMatched"]


def _wfs(client: Client, collection, bbox, window) -> tuple[set[str], int]:
    terms = []
    if bbox:
        w, s, e, n = bbox
        terms.append('<fes:BBOX><gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326">'
                     f"<gml:lowerCorner>{s} {w}</gml:lowerCorner>"
                     f"<gml:upperCorner>{n} {e}</gml:upperCorner></gml:Envelope></fes:BBOX>")
    if window:
        for op, name, value in (("LessThanOrEqualTo", "startDate", window[1]),
                                ("GreaterThanOrEqualTo", "endDate", window[0])):
            terms.append(f"<fes:PropertyIs{op}><fes:ValueReference>{name}</fes:ValueReference>"
                         f"<fes:Literal>{value}</fes:Literal></fes:PropertyIs{op}>")
    args = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "COUNT": 1000,
            "TYPENAMES": "codede:" + collection.rsplit(":", 1)[-1],
            "OUTPUTFORMAT": "application/geo+json"}
    if terms:
        body = "".join(terms) if len(terms) == 1 else f"<fes:And>{''.join(terms)}</fes:And>"
        args["FILTER"] = ('<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" '
                          f'xmlns:gml="http://www.opengis.net/gml/3.2">{body}</fes:Filter>')
    doc = json.loads(client.get("/wfs?" + urlencode(args)).data)
    return {f["properties"]["identifier"] for f in doc["features"]}, doc["numberMatched"]


@pytest.mark.parametrize(("collection", "bbox", "window"), QUESTIONS)
def test_same_answer_through_every_door(client, collection, bbox, window) -> None:
    app, services = client
    from datetime import datetime

    query = ProductQuery(collections=[collection], limit=1000,
                         geometry=bbox_geometry(*bbox) if bbox else None)
    if window:
        query.start = datetime.fromisoformat(window[0].replace("Z", "+00:00"))
        query.end = datetime.fromisoformat(window[1].replace("Z", "+00:00"))
    truth = services.store.query(query)
    expected = {p.identifier for p in truth.products}
    assert truth.total == len(expected) > 0
    for door in (_opensearch, _stac, _records, _features, _csw, _wfs):
        ids, total = door(app, collection, bbox, window)
        assert (ids, total) == (expected, truth.total), door.__name__
