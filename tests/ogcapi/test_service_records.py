"""The ``services`` record collection: the platform's service records in OGC API - Records."""

from __future__ import annotations

from ogc_server.service_metadata import KEYS, service_identifier
from ogc_server.settings import Settings
from tests.ogcapi.conftest import Api, ids

ITEMS = "/collections/services/items"


def test_one_record_per_service(demo_api: Api, demo_settings: Settings) -> None:
    doc = demo_api.json(ITEMS + "?limit=50")
    assert set(ids(doc)) == {service_identifier(demo_settings, k) for k in KEYS}
    assert doc["numberMatched"] == len(KEYS)
    for record in doc["features"]:
        props = record["properties"]
        assert props["type"] == "service"
        assert props["serviceType"] in ("discovery", "view", "download")
        rels = {link["rel"] for link in record["links"]}
        assert {"self", "service-desc", "alternate"} <= rels
        assert ("related" in rels) == (props["serviceType"] != "discovery")


def test_searching_the_service_records(demo_api: Api, demo_settings: Settings) -> None:
    view = demo_api.json(ITEMS + "?serviceType=view&sortby=-title")  # "views" > "tiles"
    assert ids(view) == [service_identifier(demo_settings, "wms"),
                         service_identifier(demo_settings, "wmts")]
    assert ids(demo_api.json(ITEMS + "?q=coverages")) == [
        service_identifier(demo_settings, "wcs")]
    wanted = service_identifier(demo_settings, "csw")
    assert ids(demo_api.json(f"{ITEMS}?ids={wanted}")) == [wanted]
    assert demo_api.json(ITEMS + "?type=dataset")["numberMatched"] == 0
    assert demo_api.json(ITEMS + "?datetime=2026-01-01T00:00:00Z")["numberMatched"] == 0
    assert demo_api.json(ITEMS + "?bbox=5,45,16,56&resulttype=hits")["numberMatched"] == \
        len(KEYS)
    page = demo_api.json(ITEMS + "?limit=2&offset=6&properties=title&skipGeometry=true")
    assert len(page["features"]) == 1 and page["features"][0]["geometry"] is None
    assert set(page["features"][0]["properties"]) == {"title"}


def test_bad_requests_name_the_parameter(demo_api: Api) -> None:
    for query, parameter in (("filter=title%20%3D%20'x'", "filter"),
                             ("sortby=cloudCover", "sortby"),
                             ("properties=cloudCover", "properties"),
                             ("colour=red", "colour"), ("bbox=1,2,3", "bbox")):
        doc = demo_api.json(f"{ITEMS}?{query}", status=400)
        assert doc["description"].startswith(parameter) or parameter in doc["description"]
    assert demo_api.json(ITEMS + "/EOP:CODE-DE:SERVICE:NONE", status=404)["code"] == \
        "NotFound"


def test_collection_documents(demo_api: Api) -> None:
    collection = demo_api.json("/collections/services")
    assert collection["itemType"] == "record"
    queryables = demo_api.json("/collections/services/queryables")
    assert set(queryables["properties"]) == {"geometry", "id", "title", "serviceType",
                                             "couplingType"}
    assert demo_api.json("/collections/services/sortables")["properties"]["title"]
    assert demo_api.get(ITEMS + "?f=html").status_code == 200
    assert demo_api.get(ITEMS + "/EOP:CODE-DE:SERVICE:WMS?f=html").status_code == 200
    assert demo_api.get(ITEMS + "/EOP:CODE-DE:SERVICE:WMS?f=jsonld").status_code == 200
